// End to end: the baselines really do what they claim on a real guest. The
// balloon hides every instance's share at boot, hands one back for an
// instance and takes it away again (the host's RSS falls); static keeps all
// memory in the guest and gives nothing back.
#include <gtest/gtest.h>

#include "host/deployment.h"
#include "host/guest_workloads.h"
#include "host/testing/deployment_internals.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

constexpr std::uint64_t kShare = 384 * kMiB;

std::unique_ptr<host::Deployment> deploy_two(const std::string& mode) {
  return deploy_or_fail(test_deployment_spec(mode, mode, 2, kShare));
}

host::InstanceRequest toucher(const std::string& name) {
  host::InstanceRequest r;
  r.program.name = name;
  r.program.argv = host::touch_argv(300, 16, 5);
  return r;
}

TEST(Modes, BalloonLendsAndTakesBackAnInstancesShare) {
  auto d = deploy_two("balloon");
  ASSERT_TRUE(d);
  // The balloon's size as QEMU reports it.
  auto& vmm = host::DeploymentInternals::vm(*d).vmm();
  auto boot = d->memory_report();
  ASSERT_TRUE(boot) << boot.error().message();
  // 512 MiB boot memory + 2 shares, both shares behind the balloon.
  auto actual = vmm.balloon_actual();
  ASSERT_TRUE(actual) << actual.error().message();
  EXPECT_EQ(*actual, 512 * kMiB);
  EXPECT_LT(boot->total_bytes(), 512 * kMiB) << "the guest sees its memory shrunk by the balloon";

  auto started = d->start(toucher("b-0"));
  ASSERT_TRUE(started) << started.error().message();
  actual = vmm.balloon_actual();
  ASSERT_TRUE(actual);
  EXPECT_EQ(*actual, 512 * kMiB + kShare) << "one share deflated for the instance";

  const host::RetireReport retired = d->retire({"b-0"});
  ASSERT_TRUE(retired.status) << retired.status.error().message();
  ASSERT_TRUE(retired.measured) << retired.measured.error().message();
  ASSERT_EQ(retired.instances.size(), 1u);
  EXPECT_EQ(retired.instances[0].end.exit, "exited with status 0");
  EXPECT_EQ(retired.bytes, kShare);
  EXPECT_GE(retired.rss_before, retired.rss_after + 200 * kMiB)
      << "inflating the balloon hands memory back to the host";
  actual = vmm.balloon_actual();
  ASSERT_TRUE(actual);
  EXPECT_EQ(*actual, 512 * kMiB);
}

TEST(Modes, StaticKeepsEverythingAndGivesNothingBack) {
  auto d = deploy_two("static");
  ASSERT_TRUE(d);
  auto boot = d->memory_report();
  ASSERT_TRUE(boot) << boot.error().message();
  EXPECT_GT(boot->total_bytes(), 512 * kMiB + kShare) << "every instance's memory is there from boot";
  auto started = d->start(toucher("s-0"));
  ASSERT_TRUE(started) << started.error().message();
  EXPECT_EQ(to_ms(started->plug_latency), 0.0);
  const host::RetireReport retired = d->retire({"s-0"});
  ASSERT_TRUE(retired.status) << retired.status.error().message();
  ASSERT_TRUE(retired.measured) << retired.measured.error().message();
  EXPECT_EQ(retired.bytes, 0u);
  EXPECT_LE(retired.rss_before, retired.rss_after + 16 * kMiB) << "static mode never gives memory back";
}

}  // namespace
}  // namespace hotmem::e2e

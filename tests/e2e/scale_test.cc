// End to end: 64 partitions fit in one VM (virtio-mem devices behind PCI
// bridges, one guest node each), and any of them plugs and unplugs alone.
#include <gtest/gtest.h>

#include "host/deployment.h"
#include "host/guest_workloads.h"
#include "host/testing/deployment_internals.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

TEST(Scale, SixtyFourPartitions) {
  host::DeploymentSpec spec = test_deployment_spec("scale", "hotmem", 64, 128 * kMiB);
  spec.vm.boot_timeout = std::chrono::seconds(180);
  auto d = host::Deployment::create(spec);
  ASSERT_TRUE(d) << d.error().message();
  // Partition nodes come online when memory arrives: only node 0 at first.
  auto report = (*d)->memory_report();
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->nodes.size(), 1u);

  // The last partition's device, behind the third bridge, fills its own
  // node 64 and no other (resized behind the deployment's back).
  host::FunctionVm& vm = host::DeploymentInternals::vm(**d);
  auto& vmm = vm.vmm();
  auto plugged = vmm::resize_memory_device(vmm, "vmem64", 128 * kMiB, std::chrono::seconds(60));
  ASSERT_TRUE(plugged) << plugged.error().message();
  auto seen = host::wait_for_guest_memory(
      vm.agent(), [](const auto& r) { return r.node_total_bytes(64) == 128 * kMiB; },
      std::chrono::seconds(30), "node 64 plugged");
  ASSERT_TRUE(seen) << seen.error().message();
  EXPECT_EQ(seen->nodes.size(), 2u) << "only node 64 came online";
  auto unplugged = vmm::resize_memory_device(vmm, "vmem64", 0, std::chrono::seconds(60));
  ASSERT_TRUE(unplugged) << unplugged.error().message();

  // An instance lands in the first partition and leaves it empty again.
  host::InstanceRequest r;
  r.program.name = "scale-0";
  r.program.argv = host::touch_argv(64, 0, 1);
  auto started = (*d)->start(r);
  ASSERT_TRUE(started) << started.error().message();
  EXPECT_EQ(started->grant.node, 1);
  const host::RetireReport retired = (*d)->retire({"scale-0"});
  ASSERT_TRUE(retired.status) << retired.status.error().message();
  EXPECT_EQ(retired.bytes, 128 * kMiB);
}

}  // namespace
}  // namespace hotmem::e2e

// End to end: 64 partitions fit in one VM (virtio-mem devices behind PCI
// bridges, one guest node each), with the boot memory their nodes, page
// structs and instances need; any of them plugs and unplugs alone, and 8
// instances' partitions come back at once without a page migrated.
#include <cstdio>

#include <fmt/format.h>
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
  ASSERT_EQ(spec.vm.base_bytes, 512 * kMiB);
  auto d = host::Deployment::create(spec);
  ASSERT_TRUE(d) << d.error().message();
  // 512 MiB ran out at the 40th partition (host/memory_mode.h): raised.
  EXPECT_EQ((*d)->describe()["vm"]["boot_memory_bytes"], 768 * kMiB);
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

  // 16 instances touch 96 MiB each; 8 of them, every other one, end and
  // their partitions are reclaimed at once, beside the 8 still running.
  std::vector<std::string> ending;
  std::vector<int> ending_nodes;
  for (int i = 0; i < 16; ++i) {
    host::InstanceRequest many;
    many.program.name = fmt::format("scale-{}", i + 1);
    many.program.argv = host::touch_argv(96, 0, static_cast<std::uint64_t>(i + 1));
    auto s = (*d)->start(many);
    ASSERT_TRUE(s) << s.error().message();
    if (i % 2 == 0) {
      ending.push_back(s->name);
      ending_nodes.push_back(*s->grant.node);
    }
  }
  const host::RetireReport eight = (*d)->retire(ending);
  ASSERT_TRUE(eight.status) << eight.status.error().message();
  EXPECT_EQ(eight.bytes, 8 * 128 * kMiB);
  EXPECT_EQ(eight.migrated_pages, 0u);
  EXPECT_TRUE(eight.dirty.empty());
  auto after = (*d)->memory_report();
  ASSERT_TRUE(after) << after.error().message();
  for (int node : ending_nodes) EXPECT_EQ(after->node_total_bytes(node), 0u) << "node " << node;
  EXPECT_EQ(after->nodes.size(), 9u) << "node 0 and the 8 running instances' nodes";
  std::printf("8 partitions of a 64-partition VM reclaimed at once in %.1f ms, %.0f ms of guest CPU\n",
              to_ms(eight.latency), eight.guest_cpu_ms);
}

}  // namespace
}  // namespace hotmem::e2e

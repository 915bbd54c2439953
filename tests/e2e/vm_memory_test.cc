// End to end: a real guest under QEMU gets memory plugged through virtio-mem,
// touches it (QEMU's RSS grows), frees it, and the unplug hands it back to
// the host (QEMU's RSS falls). Fails if plug, touch or unplug does nothing.
#include <signal.h>

#include <gtest/gtest.h>

#include "host/guest_workloads.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

constexpr std::uint64_t kPlug = 512 * kMiB;
constexpr std::uint64_t kTouchMib = 400;
constexpr std::uint64_t kMinRssDelta = 350 * kMiB;

TEST(VmMemory, PlugTouchFreeUnplugMovesHostMemory) {
  auto config = test_vm_config("e2e-memory");
  config.boot_timeout = std::chrono::seconds(120);
  auto vm = boot_or_fail(config);
  ASSERT_TRUE(vm);
  const pid_t qemu = vm->vmm().pid();
  const std::string device = config.memory_devices.front().id;
  const int node = config.memory_devices.front().node;

  auto before = vm->agent().memory_report();
  ASSERT_TRUE(before) << before.error().message();
  EXPECT_EQ(before->node_total_bytes(node), 0u) << "the partition node starts empty";

  // Plug: QEMU reports the size reached and the guest sees 512 MiB more.
  auto plugged = vm->resize(device, kPlug);
  ASSERT_TRUE(plugged) << plugged.error().message();
  auto state = vm->vmm().memory_device(device);
  ASSERT_TRUE(state) << state.error().message();
  EXPECT_EQ(state->plugged_bytes, kPlug);
  auto grown = host::wait_for_guest_memory(
      vm->agent(), [&](const auto& r) { return r.total_bytes() >= before->total_bytes() + kPlug; },
      std::chrono::seconds(30), "512 MiB more memory");
  ASSERT_TRUE(grown) << grown.error().message();
  EXPECT_EQ(grown->node_total_bytes(node), kPlug);

  // Touch: the guest writes 400 MiB on the partition node; the host pays.
  auto rss_idle = vm->vmm().rss_bytes();
  ASSERT_TRUE(rss_idle) << rss_idle.error().message();
  auto pid = vm->agent().start_instance(host::touch_workload("toucher", kTouchMib, node));
  ASSERT_TRUE(pid) << pid.error().message();
  auto touched = vm->agent().memory_report();
  ASSERT_TRUE(touched) << touched.error().message();
  EXPECT_GE(touched->node_used_bytes(node), 380 * kMiB) << "the workload's memory lies on its node";
  auto rss_touched = vm->vmm().rss_bytes();
  ASSERT_TRUE(rss_touched) << rss_touched.error().message();
  EXPECT_GE(*rss_touched, *rss_idle + kMinRssDelta);

  // Free, then unplug to 0: the device reports 0 and the host gets it back.
  auto ended = vm->agent().stop_instance("toucher", std::chrono::seconds(2));
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_EQ(ended->exit, "exited with status 0") << "the workload found its memory intact";
  auto rss_freed = vm->vmm().rss_bytes();
  ASSERT_TRUE(rss_freed) << rss_freed.error().message();
  auto unplugged = vm->resize(device, 0);
  ASSERT_TRUE(unplugged) << unplugged.error().message();
  state = vm->vmm().memory_device(device);
  ASSERT_TRUE(state) << state.error().message();
  EXPECT_EQ(state->plugged_bytes, 0u);
  auto rss_after = vm->vmm().rss_bytes();
  ASSERT_TRUE(rss_after) << rss_after.error().message();
  EXPECT_GE(*rss_freed, *rss_after + kMinRssDelta) << "unplug must release host memory";
  // The guest removes the emptied memory blocks just after the device
  // reports the size reached.
  auto shrunk = host::wait_for_guest_memory(
      vm->agent(), [&](const auto& r) { return r.node_total_bytes(node) == 0; }, std::chrono::seconds(30),
      "partition node empty");
  EXPECT_TRUE(shrunk) << shrunk.error().message();

  // A size above the device's maximum is refused, and nothing changes.
  auto too_big = vm->resize(device, 2 * kGiB);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message().find("exceeds the maximum"), std::string::npos) << too_big.error().message();

  vm.reset();
  EXPECT_TRUE(process_gone(qemu, std::chrono::seconds(5))) << "QEMU pid " << qemu << " outlived its VM";
}

}  // namespace
}  // namespace hotmem::e2e

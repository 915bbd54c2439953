// virtio-mem mode against a fake VMM: one device on node 0 whose target
// grows by a share per grant and shrinks by the grants reclaimed.
#include "host/modes/virtio_mem_mode.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "host/testing/mode_fixture.h"

namespace hotmem::host {
namespace {

using namespace std::chrono_literals;
using vmm::FakeVmm;
using Response = FakeVmm::Response;

constexpr std::uint64_t kShare = 256 * kMiB;  // 200 MiB rounded up to guest blocks
constexpr std::uint64_t kMax = 3 * kShare;
const std::string kDevice = VirtioMemMode::kDevice;

class VirtioMemModeTest : public ModeTest<VirtioMemMode> {
 protected:
  std::uint64_t target() const { return mode_.describe()["target_bytes"].get<std::uint64_t>(); }
};

TEST(VirtioMemModeLayout, NameIsVirtioMem) { EXPECT_EQ(VirtioMemMode().name(), "virtio-mem"); }

TEST(VirtioMemModeLayout, ConfigureAddsOneDeviceOnNodeZeroForEveryInstance) {
  FunctionVmConfig config;
  VirtioMemMode().configure(config, FunctionShape{4, 300 * kMiB});

  EXPECT_EQ(config.numa_nodes, 1) << "no partition nodes in this mode";
  ASSERT_EQ(config.memory_devices.size(), 1u);
  EXPECT_EQ(config.memory_devices[0].id, "vmem0");
  EXPECT_EQ(config.memory_devices[0].node, 0);
  EXPECT_EQ(config.memory_devices[0].max_bytes, 4 * 384 * kMiB) << "four instances of 300 MiB in 128 MiB blocks";
}

TEST(VirtioMemModeLayout, AttachFindsVmem0AmongTheDevices) {
  const std::vector<vmm::MemoryDeviceSpec> devices{{"vmem1", 1, 256 * kMiB}, {"vmem0", 0, 2 * kGiB}};
  FakeVmm fake;
  fake.add_devices(devices);
  VirtioMemMode mode;
  Status attached = mode.attach(fake, devices, FunctionShape{2, 1 * kGiB});
  ASSERT_TRUE(attached.ok()) << attached.error().message();

  const nlohmann::json j = mode.describe();
  EXPECT_EQ(j["max_bytes"], 2 * kGiB);
  EXPECT_EQ(j["target_bytes"], 0u);
  EXPECT_TRUE(fake.calls().empty()) << "attaching must not touch the device";
}

TEST(VirtioMemModeLayout, AttachWithoutVmem0IsAnError) {
  FakeVmm fake;
  VirtioMemMode mode;
  Status none = mode.attach(fake, {}, FunctionShape{});
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(contains(none.error().message(), "needs device vmem0")) << none.error().message();

  // A hotmem layout (partition devices only) will not do either.
  Status hotmem = mode.attach(fake, {{"vmem1", 1, 512 * kMiB}, {"vmem2", 2, 512 * kMiB}}, FunctionShape{});
  ASSERT_FALSE(hotmem.ok());
  EXPECT_TRUE(contains(hotmem.error().message(), "configure the VM with this mode")) << hotmem.error().message();
}

TEST_F(VirtioMemModeTest, GrantsGrowTheTargetByOneShareEach) {
  std::vector<Grant> grants;
  for (const char* name : {"fn-a", "fn-b", "fn-c"}) {
    auto g = mode_.begin_grant(name);
    ASSERT_TRUE(g.ok()) << g.error().message();
    grants.push_back(*g);
  }
  EXPECT_EQ(fake_.calls(), (std::vector<FakeVmm::Call>{FakeVmm::request(kDevice, kShare),
                                                       FakeVmm::request(kDevice, 2 * kShare),
                                                       FakeVmm::request(kDevice, 3 * kShare)}));
  EXPECT_EQ(target(), kMax);
  for (const Grant& g : grants) {
    EXPECT_EQ(g.bytes, kShare);
    EXPECT_FALSE(g.node.has_value()) << "instances are not bound in this mode";
    EXPECT_FALSE(g.partition.has_value());
  }
  EXPECT_EQ(grants[0].instance, "fn-a");
  EXPECT_EQ(grants[2].instance, "fn-c");
}

TEST_F(VirtioMemModeTest, GrantBeyondTheMaximumIsRefusedWithoutAskingTheDevice) {
  for (const char* name : {"fn-a", "fn-b", "fn-c"}) ASSERT_TRUE(mode_.begin_grant(name).ok());
  fake_.clear_calls();

  auto full = mode_.begin_grant("fn-d");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().message(), "no room for instance 'fn-d': the device holds 768 MiB of 768 MiB");
  EXPECT_TRUE(fake_.calls().empty());
  EXPECT_EQ(target(), kMax);
}

TEST_F(VirtioMemModeTest, RefusedGrowLeavesTheTargetUnchanged) {
  ASSERT_TRUE(mode_.begin_grant("fn-a").ok());
  fake_.set_response(kDevice, Response::kRefuse);
  auto refused = mode_.begin_grant("fn-b");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message(), "vmem0 refused")) << refused.error().message();
  EXPECT_EQ(target(), kShare);

  fake_.set_response(kDevice, Response::kApply);
  ASSERT_TRUE(mode_.begin_grant("fn-b").ok());
  EXPECT_EQ(fake_.requests().back(), FakeVmm::request(kDevice, 2 * kShare));
}

TEST_F(VirtioMemModeTest, FinishGrantWaitsForTheWholeTargetAndReturnsThePlugLatency) {
  fake_.set_wait_time(3ms);
  auto a = mode_.begin_grant("fn-a");
  auto b = mode_.begin_grant("fn-b");
  ASSERT_TRUE(a.ok() && b.ok());

  auto plugged = mode_.finish_grant(*a, kTimeout);
  ASSERT_TRUE(plugged.ok()) << plugged.error().message();
  // From before the wait to the change the VMM dated.
  EXPECT_GE(*plugged, Clock::duration(3ms));
  EXPECT_LT(*plugged, Clock::duration(3ms) + 1s);
  // The goal is the target as it stands, which b has already raised.
  EXPECT_EQ(fake_.calls().back(), FakeVmm::wait(kDevice, 2 * kShare));
  EXPECT_EQ(target(), 2 * kShare);
}

TEST_F(VirtioMemModeTest, FinishGrantIsSatisfiedByMoreThanTheTarget) {
  fake_.set_response(kDevice, Response::kStall);
  auto a = mode_.begin_grant("fn-a");
  ASSERT_TRUE(a.ok()) << a.error().message();
  fake_.set_plugged(kDevice, 2 * kShare);  // more than asked: enough is enough

  auto plugged = mode_.finish_grant(*a, kTimeout);
  ASSERT_TRUE(plugged.ok()) << plugged.error().message();
  EXPECT_EQ(target(), kShare);
}

TEST_F(VirtioMemModeTest, FinishGrantIsNotSatisfiedByLessThanTheTarget) {
  fake_.set_response(kDevice, Response::kStall);
  auto a = mode_.begin_grant("fn-a");
  ASSERT_TRUE(a.ok()) << a.error().message();
  fake_.set_plugged(kDevice, kShare - vmm::kVirtioMemBlock);

  auto plugged = mode_.finish_grant(*a, kTimeout);
  ASSERT_FALSE(plugged.ok());
  EXPECT_TRUE(contains(plugged.error().message(), "plug for 'fn-a'")) << plugged.error().message();
}

TEST_F(VirtioMemModeTest, FailedFinishGrantLowersTheTargetAgain) {
  ASSERT_EQ(granted("fn-a").bytes, kShare);
  fake_.set_response(kDevice, Response::kStall);
  auto b = mode_.begin_grant("fn-b");
  ASSERT_TRUE(b.ok()) << b.error().message();
  ASSERT_EQ(target(), 2 * kShare);

  auto plugged = mode_.finish_grant(*b, kTimeout);
  ASSERT_FALSE(plugged.ok());
  EXPECT_TRUE(contains(plugged.error().message(), "plug for 'fn-b'")) << plugged.error().message();
  EXPECT_TRUE(contains(plugged.error().message(), "vmem0 holds")) << plugged.error().message();
  EXPECT_EQ(target(), kShare);
  EXPECT_EQ(fake_.calls().back(), FakeVmm::request(kDevice, kShare)) << "the device is asked to shrink back";

  // The share is free again: three more fit (one is fn-a's).
  fake_.set_response(kDevice, Response::kApply);
  ASSERT_TRUE(mode_.begin_grant("fn-c").ok());
  ASSERT_TRUE(mode_.begin_grant("fn-d").ok());
  EXPECT_EQ(target(), kMax);
  EXPECT_FALSE(mode_.begin_grant("fn-e").ok());
}

TEST_F(VirtioMemModeTest, ReclaimShrinksByTheSumOfTheGrants) {
  const Grant a = granted("fn-a");
  granted("fn-b");
  const Grant c = granted("fn-c");
  fake_.clear_calls();
  fake_.set_wait_time(5ms);

  auto reclaimed = mode_.reclaim({a, c}, kTimeout);
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message();
  EXPECT_EQ(reclaimed->bytes, 2 * kShare);
  EXPECT_GE(reclaimed->latency, Clock::duration(5ms));
  EXPECT_LT(reclaimed->latency, Clock::duration(kTimeout));
  EXPECT_EQ(fake_.calls(),
            (std::vector<FakeVmm::Call>{FakeVmm::request(kDevice, kShare), FakeVmm::wait(kDevice, kShare)}));
  EXPECT_EQ(target(), kShare);
  EXPECT_EQ(fake_.device(kDevice).plugged_bytes, kShare);

  // The room is there for new instances.
  ASSERT_TRUE(mode_.begin_grant("fn-d").ok());
  EXPECT_EQ(fake_.requests().back(), FakeVmm::request(kDevice, 2 * kShare));
}

TEST_F(VirtioMemModeTest, ReclaimOfMoreThanTheDeviceHoldsIsAnError) {
  const Grant a = granted("fn-a");
  fake_.clear_calls();

  auto reclaimed = mode_.reclaim({a, a}, kTimeout);
  ASSERT_FALSE(reclaimed.ok());
  EXPECT_TRUE(contains(reclaimed.error().message(), "more than the device holds")) << reclaimed.error().message();
  EXPECT_TRUE(fake_.calls().empty());
  EXPECT_EQ(target(), kShare);
}

TEST_F(VirtioMemModeTest, RefusedShrinkLeavesTheTargetUnchanged) {
  const Grant a = granted("fn-a");
  granted("fn-b");
  fake_.set_response(kDevice, Response::kRefuse);

  auto reclaimed = mode_.reclaim({a}, kTimeout);
  ASSERT_FALSE(reclaimed.ok());
  EXPECT_TRUE(contains(reclaimed.error().message(), "vmem0 refused")) << reclaimed.error().message();
  EXPECT_EQ(target(), 2 * kShare);
}

TEST_F(VirtioMemModeTest, ReclaimThatTimesOutIsAnError) {
  const Grant a = granted("fn-a");
  fake_.set_response(kDevice, Response::kStall);

  auto reclaimed = mode_.reclaim({a}, kTimeout);
  ASSERT_FALSE(reclaimed.ok());
  EXPECT_TRUE(contains(reclaimed.error().message(), "reclaim: fake vmm: vmem0 holds")) << reclaimed.error().message();
  EXPECT_EQ(fake_.calls().back(), FakeVmm::wait(kDevice, 0));
}

TEST_F(VirtioMemModeTest, DescribeShowsTheDeviceTargetAndMaximum) {
  granted("fn-a");
  const nlohmann::json j = mode_.describe();
  EXPECT_EQ(j["mode"], "virtio-mem");
  EXPECT_EQ(j["device"], "vmem0");
  EXPECT_EQ(j["target_bytes"], kShare);
  EXPECT_EQ(j["max_bytes"], kMax);
}

// What the memory budget releases after a reclaim that timed out: what
// the device really holds, not what was asked.
TEST_F(VirtioMemModeTest, HeldBytesAreWhatTheDeviceHoldsNotTheTarget) {
  auto a = mode_.begin_grant("fn-a");
  auto b = mode_.begin_grant("fn-b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*mode_.held_bytes(), 2 * kShare);

  fake_.set_response(kDevice, Response::kHalfway);
  auto reclaimed = mode_.reclaim({*a, *b}, 5ms);
  EXPECT_FALSE(reclaimed.ok()) << "the device gave back only half";
  EXPECT_EQ(target(), 0u);
  EXPECT_EQ(*mode_.held_bytes(), kShare);
}

}  // namespace
}  // namespace hotmem::host

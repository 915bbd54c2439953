// hotmem mode against a fake VMM: the partition life (claim, plug, assign,
// unplug, roll back, break) as the mode drives it, and what it asks the VMM.
#include "host/modes/hotmem_mode.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "host/testing/mode_fixture.h"

namespace hotmem::host {
namespace {

using namespace std::chrono_literals;
using vmm::FakeVmm;
using Response = FakeVmm::Response;

constexpr std::uint64_t kPartition = 256 * kMiB;  // 200 MiB rounded up to guest blocks

// A guest that zeroes on allocation and only takes nodes offline (so every
// reclaim offlines first).
HotmemGuest offliner(NodeOffliner offline) {
  HotmemGuest guest;
  guest.offline = std::move(offline);
  guest.zeroes_on_alloc = true;
  return guest;
}

class HotmemModeTest : public ModeTest<HotmemMode> {
 protected:
  Partition partition(int index) const { return mode_.partitions().get(index); }
  PartitionState state(int index) const { return partition(index).state; }
};

TEST(HotmemModeLayout, NameIsHotmem) { EXPECT_EQ(HotmemMode().name(), "hotmem"); }

TEST(HotmemModeLayout, ConfigureAddsOnePartitionDevicePerInstanceOnNodesOneToN) {
  FunctionVmConfig config;
  HotmemMode().configure(config, FunctionShape{4, 300 * kMiB});

  EXPECT_EQ(config.numa_nodes, 5);  // node 0 (boot memory) + one per partition
  ASSERT_EQ(config.memory_devices.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const vmm::MemoryDeviceSpec& d = config.memory_devices[static_cast<std::size_t>(i)];
    EXPECT_EQ(d.id, fmt::format("vmem{}", i + 1));
    EXPECT_EQ(d.node, i + 1);
    EXPECT_EQ(d.max_bytes, 384 * kMiB) << "300 MiB rounds up to three 128 MiB blocks";
  }
}

TEST(HotmemModeLayout, AttachMakesOnePartitionPerDeviceOffNodeZero) {
  const std::vector<vmm::MemoryDeviceSpec> devices{
      {"vmem0", 0, 1 * kGiB}, {"vmem1", 1, 256 * kMiB}, {"vmem2", 2, 512 * kMiB}};
  FakeVmm fake;
  fake.add_devices(devices);
  HotmemMode mode;
  Status attached = mode.attach(fake, devices, FunctionShape{});
  ASSERT_TRUE(attached.ok()) << attached.error().message();

  const std::vector<Partition> partitions = mode.partitions().snapshot();
  ASSERT_EQ(partitions.size(), 2u);
  EXPECT_EQ(partitions[0].index, 0);
  EXPECT_EQ(partitions[0].node, 1);
  EXPECT_EQ(partitions[0].device, "vmem1");
  EXPECT_EQ(partitions[0].bytes, 256 * kMiB);
  EXPECT_EQ(partitions[1].index, 1);
  EXPECT_EQ(partitions[1].node, 2);
  EXPECT_EQ(partitions[1].device, "vmem2");
  EXPECT_EQ(partitions[1].bytes, 512 * kMiB);
  EXPECT_EQ(mode.partitions().count(PartitionState::kEmpty), 2u);
  EXPECT_TRUE(fake.calls().empty()) << "attaching must not touch the devices";
}

TEST(HotmemModeLayout, AttachWithoutPartitionDevicesIsAnError) {
  FakeVmm fake;
  HotmemMode mode;
  Status none = mode.attach(fake, {}, FunctionShape{});
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(contains(none.error().message(), "configure the VM with this mode")) << none.error().message();

  // A virtio-mem layout (one device on node 0) has no partitions.
  Status node0 = mode.attach(fake, {{"vmem0", 0, 1 * kGiB}}, FunctionShape{});
  ASSERT_FALSE(node0.ok());
  EXPECT_TRUE(contains(node0.error().message(), "needs partition devices")) << node0.error().message();
}

TEST(HotmemModeLayout, DescribeBeforeAttachHasNoPartitions) {
  const nlohmann::json j = HotmemMode().describe();
  EXPECT_EQ(j["mode"], "hotmem");
  EXPECT_EQ(j["partitions"], nlohmann::json::array());
}

TEST_F(HotmemModeTest, BeginGrantClaimsPartitionsInOrderAndAsksForTheirSize) {
  auto a = mode_.begin_grant("fn-a");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->instance, "fn-a");
  EXPECT_EQ(a->bytes, kPartition);
  EXPECT_EQ(a->partition, 0);
  EXPECT_EQ(a->node, 1);
  EXPECT_EQ(state(0), PartitionState::kPlugging);
  EXPECT_EQ(partition(0).instance, "fn-a");

  auto b = mode_.begin_grant("fn-b");
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(b->partition, 1);
  EXPECT_EQ(b->node, 2);
  EXPECT_EQ(b->bytes, kPartition);

  // Only asked, not waited for: begin_grant returns at once.
  EXPECT_EQ(fake_.calls(), (std::vector<FakeVmm::Call>{FakeVmm::request("vmem1", kPartition),
                                                       FakeVmm::request("vmem2", kPartition)}));
  EXPECT_EQ(fake_.device("vmem3").requested_bytes, 0u);
}

TEST_F(HotmemModeTest, BeginGrantWhenEveryPartitionIsTakenIsAnErrorAndAsksNothing) {
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(mode_.begin_grant(name).ok());
  fake_.clear_calls();

  auto none = mode_.begin_grant("d");
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(contains(none.error().message(), "no empty partition for instance 'd'")) << none.error().message();
  EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(HotmemModeTest, RefusedPlugPutsThePartitionBackToEmpty) {
  fake_.set_response("vmem1", Response::kRefuse);
  auto refused = mode_.begin_grant("fn-a");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message(), "plug partition 0")) << refused.error().message();
  EXPECT_TRUE(contains(refused.error().message(), "vmem1 refused")) << refused.error().message();
  EXPECT_EQ(state(0), PartitionState::kEmpty);
  EXPECT_TRUE(partition(0).instance.empty());
  EXPECT_EQ(mode_.partitions().count(PartitionState::kEmpty), 3u);

  // Empty means reusable: once the device answers, partition 0 is used again.
  fake_.set_response("vmem1", Response::kApply);
  auto again = mode_.begin_grant("fn-b");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->partition, 0);
}

TEST_F(HotmemModeTest, FinishGrantAssignsThePartitionAndReturnsThePlugLatency) {
  fake_.set_wait_time(3ms);
  auto grant = mode_.begin_grant("fn-a");
  ASSERT_TRUE(grant.ok()) << grant.error().message();
  auto plugged = mode_.finish_grant(*grant, kTimeout);
  ASSERT_TRUE(plugged.ok()) << plugged.error().message();
  // From before the wait to the change the VMM dated.
  EXPECT_GE(*plugged, Clock::duration(3ms));
  EXPECT_LT(*plugged, Clock::duration(3ms) + 1s);
  EXPECT_EQ(state(0), PartitionState::kAssigned);
  EXPECT_EQ(partition(0).instance, "fn-a");
  EXPECT_EQ(fake_.calls(), (std::vector<FakeVmm::Call>{FakeVmm::request("vmem1", kPartition),
                                                       FakeVmm::wait("vmem1", kPartition)}));
  EXPECT_EQ(fake_.device("vmem1").plugged_bytes, kPartition);
}

TEST_F(HotmemModeTest, FinishGrantTimeoutRollsBackToEmptyAndIsAnError) {
  fake_.set_response("vmem1", Response::kStall);
  auto grant = mode_.begin_grant("fn-a");
  ASSERT_TRUE(grant.ok()) << grant.error().message();

  auto plugged = mode_.finish_grant(*grant, kTimeout);
  ASSERT_FALSE(plugged.ok());
  EXPECT_TRUE(contains(plugged.error().message(), "plug partition 0 for 'fn-a'")) << plugged.error().message();
  EXPECT_TRUE(contains(plugged.error().message(), "vmem1 holds 0 bytes")) << plugged.error().message();
  EXPECT_EQ(fake_.calls(),
            (std::vector<FakeVmm::Call>{FakeVmm::request("vmem1", kPartition), FakeVmm::wait("vmem1", kPartition),
                                        FakeVmm::request("vmem1", 0), FakeVmm::wait("vmem1", 0)}));
  EXPECT_EQ(state(0), PartitionState::kEmpty);
  EXPECT_TRUE(partition(0).instance.empty());
  EXPECT_EQ(fake_.device("vmem1").requested_bytes, 0u);

  // And it is reused.
  fake_.set_response("vmem1", Response::kApply);
  auto again = mode_.begin_grant("fn-b");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->partition, 0);
}

TEST_F(HotmemModeTest, FinishGrantAfterAPartialPlugTakesBackWhatArrived) {
  fake_.script("vmem1", {Response::kHalfway});  // then the device answers normally
  auto grant = mode_.begin_grant("fn-a");
  ASSERT_TRUE(grant.ok()) << grant.error().message();
  ASSERT_EQ(fake_.device("vmem1").plugged_bytes, kPartition / 2);

  auto plugged = mode_.finish_grant(*grant, kTimeout);
  ASSERT_FALSE(plugged.ok());
  EXPECT_EQ(fake_.device("vmem1").plugged_bytes, 0u) << "the half that arrived must go back";
  EXPECT_EQ(state(0), PartitionState::kEmpty);
}

TEST_F(HotmemModeTest, FailedRollbackBreaksThePartitionWithBothReasons) {
  // Half the plug arrives, then the guest cannot give it back.
  fake_.script("vmem1", {Response::kHalfway, Response::kStall});
  auto grant = mode_.begin_grant("fn-a");
  ASSERT_TRUE(grant.ok()) << grant.error().message();

  auto plugged = mode_.finish_grant(*grant, kTimeout);
  ASSERT_FALSE(plugged.ok());
  EXPECT_TRUE(contains(plugged.error().message(), "plug partition 0 for 'fn-a'")) << plugged.error().message();

  const Partition p = partition(0);
  EXPECT_EQ(p.state, PartitionState::kBroken);
  EXPECT_TRUE(contains(p.problem, "plug partition 0 for 'fn-a'")) << p.problem;
  EXPECT_TRUE(contains(p.problem, fmt::format("not {}", kPartition))) << p.problem;  // the plug's reason
  EXPECT_TRUE(contains(p.problem, "rollback failed")) << p.problem;
  EXPECT_TRUE(contains(p.problem, fmt::format("vmem1 holds {} bytes, not 0", kPartition / 2))) << p.problem;

  // A broken partition is never handed out again.
  auto b = mode_.begin_grant("fn-b");
  auto c = mode_.begin_grant("fn-c");
  ASSERT_TRUE(b.ok() && c.ok());
  EXPECT_EQ(b->partition, 1);
  EXPECT_EQ(c->partition, 2);
  auto d = mode_.begin_grant("fn-d");
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(contains(d.error().message(), "(1 broken)")) << d.error().message();
  EXPECT_EQ(state(0), PartitionState::kBroken);
}

TEST_F(HotmemModeTest, RefusedRollbackBreaksThePartitionWithTheRefusal) {
  fake_.script("vmem2", {Response::kHalfway, Response::kRefuse});
  ASSERT_TRUE(mode_.begin_grant("fn-a").ok());
  auto grant = mode_.begin_grant("fn-b");
  ASSERT_TRUE(grant.ok()) << grant.error().message();
  ASSERT_EQ(grant->partition, 1);

  ASSERT_FALSE(mode_.finish_grant(*grant, kTimeout).ok());
  const Partition p = partition(1);
  EXPECT_EQ(p.state, PartitionState::kBroken);
  EXPECT_TRUE(contains(p.problem, "plug partition 1 for 'fn-b'")) << p.problem;
  EXPECT_TRUE(contains(p.problem, "rollback failed: fake vmm: vmem2 refused 0 bytes")) << p.problem;
  // The refused rollback is not waited for.
  EXPECT_EQ(fake_.calls().back(), FakeVmm::request("vmem2", 0));
  EXPECT_EQ(state(0), PartitionState::kPlugging) << "the neighbour is untouched";
}

TEST_F(HotmemModeTest, ReclaimAsksEveryDeviceBeforeWaitingAndEmptiesThePartitions) {
  const Grant a = granted("fn-a");
  granted("fn-b");
  const Grant c = granted("fn-c");
  fake_.clear_calls();
  fake_.set_wait_time(5ms);

  auto reclaimed = mode_.reclaim({a, c}, kTimeout);
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message();
  EXPECT_EQ(reclaimed->bytes, 2 * kPartition);
  EXPECT_GE(reclaimed->latency, Clock::duration(5ms));
  EXPECT_LT(reclaimed->latency, Clock::duration(kTimeout));

  // Both unplugs are asked for first, so the guest works on them in parallel.
  EXPECT_EQ(fake_.calls(), (std::vector<FakeVmm::Call>{FakeVmm::request("vmem1", 0), FakeVmm::request("vmem3", 0),
                                                       FakeVmm::wait("vmem1", 0), FakeVmm::wait("vmem3", 0)}));
  EXPECT_EQ(state(0), PartitionState::kEmpty);
  EXPECT_EQ(state(2), PartitionState::kEmpty);
  EXPECT_TRUE(partition(0).instance.empty());
  EXPECT_TRUE(partition(2).instance.empty());
  EXPECT_EQ(fake_.device("vmem1").plugged_bytes, 0u);
  EXPECT_EQ(fake_.device("vmem3").plugged_bytes, 0u);

  // fn-b keeps its memory.
  EXPECT_EQ(state(1), PartitionState::kAssigned);
  EXPECT_EQ(partition(1).instance, "fn-b");
  EXPECT_EQ(fake_.device("vmem2").plugged_bytes, kPartition);

  // The emptied partitions serve new instances, lowest first.
  auto d = mode_.begin_grant("fn-d");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->partition, 0);
}

// The device-only part excludes the offlining before it (what `hotmem
// bench floor` sets against the whole reclaim).
TEST_F(HotmemModeTest, ReclaimSaysWhichPartOfItsLatencyWasTheDevicesAlone) {
  ASSERT_TRUE(mode_
                  .attach(fake_, config_.memory_devices, shape_,
                          offliner([](int, Clock::duration) -> Status {
                            std::this_thread::sleep_for(30ms);
                            return ok_status();
                          }))
                  .ok());
  const Grant a = granted("fn-a");
  fake_.set_wait_time(5ms);
  auto reclaimed = mode_.reclaim({a}, kTimeout);
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message();
  ASSERT_TRUE(reclaimed->device_latency.has_value());
  EXPECT_GE(*reclaimed->device_latency, Clock::duration(5ms));
  EXPECT_GE(reclaimed->latency - *reclaimed->device_latency, Clock::duration(30ms)) << "the offlining is not the device's";
}

TEST_F(HotmemModeTest, ReclaimOfNothingReclaimsNothing) {
  auto reclaimed = mode_.reclaim({}, kTimeout);
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message();
  EXPECT_EQ(reclaimed->bytes, 0u);
  EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(HotmemModeTest, ReclaimWhoseUnplugTimesOutBreaksThatPartitionAndUnplugsTheRest) {
  const Grant a = granted("fn-a");
  const Grant b = granted("fn-b");
  const Grant c = granted("fn-c");
  fake_.set_response("vmem2", Response::kStall);

  auto reclaimed = mode_.reclaim({a, b, c}, kTimeout);
  ASSERT_FALSE(reclaimed.ok());
  const std::string& message = reclaimed.error().message();
  EXPECT_TRUE(contains(message, "reclaim incomplete")) << message;
  EXPECT_TRUE(contains(message, "partition 1")) << message;
  EXPECT_TRUE(contains(message, fmt::format("vmem2 holds {} bytes, not 0", kPartition))) << message;
  EXPECT_FALSE(contains(message, "partition 0")) << message;
  EXPECT_FALSE(contains(message, "partition 2")) << message;

  const Partition broken = partition(1);
  EXPECT_EQ(broken.state, PartitionState::kBroken);
  EXPECT_TRUE(contains(broken.problem, fmt::format("vmem2 holds {} bytes, not 0", kPartition))) << broken.problem;
  // The partitions before and after it were unplugged all the same.
  EXPECT_EQ(state(0), PartitionState::kEmpty);
  EXPECT_EQ(state(2), PartitionState::kEmpty);
  EXPECT_EQ(fake_.device("vmem1").plugged_bytes, 0u);
  EXPECT_EQ(fake_.device("vmem3").plugged_bytes, 0u);
  EXPECT_EQ(fake_.calls().back(), FakeVmm::wait("vmem3", 0));

  // And the broken one is not reused.
  auto d = mode_.begin_grant("fn-d");
  auto e = mode_.begin_grant("fn-e");
  ASSERT_TRUE(d.ok() && e.ok());
  EXPECT_EQ(d->partition, 0);
  EXPECT_EQ(e->partition, 2);
  EXPECT_FALSE(mode_.begin_grant("fn-f").ok());
}

TEST_F(HotmemModeTest, ABrokenPartitionIsUsedAgainOnceItsDeviceIsEmpty) {
  const Grant a = granted("fn-a");
  fake_.set_response("vmem1", Response::kStall);
  ASSERT_FALSE(mode_.reclaim({a}, kTimeout).ok());
  ASSERT_EQ(state(0), PartitionState::kBroken);

  // Still holding memory: the next instance gets another partition.
  fake_.set_response("vmem1", Response::kApply);
  EXPECT_EQ(granted("fn-b").partition, 1);
  EXPECT_EQ(state(0), PartitionState::kBroken);

  // The guest finishes the unplug late: the partition is clean, and reused.
  fake_.set_plugged("vmem1", 0);
  EXPECT_EQ(granted("fn-c").partition, 0);
  EXPECT_EQ(state(0), PartitionState::kAssigned);
  EXPECT_EQ(partition(0).problem, "");
}

TEST_F(HotmemModeTest, AStuckUnplugSaysWhyTheNodeWouldNotGoOfflineAndStaysWithinItsTimeout) {
  std::vector<Clock::duration> budgets;
  ASSERT_TRUE(mode_
                  .attach(fake_, config_.memory_devices, shape_,
                          offliner([&budgets](int node, Clock::duration timeout) -> Status {
                            budgets.push_back(timeout);
                            return Error(fmt::format("cannot take memory32 offline (a page on node {} that cannot be moved?)",
                                                     node));
                          }))
                  .ok());
  const Grant a = granted("fn-a");
  fake_.set_response("vmem1", Response::kStall);
  const auto began = Clock::now();
  auto reclaimed = mode_.reclaim({a}, kTimeout);
  EXPECT_LT(Clock::now() - began, kTimeout + 1s);
  ASSERT_FALSE(reclaimed.ok());
  EXPECT_TRUE(contains(reclaimed.error().message(), "a page on node 1 that cannot be moved")) << reclaimed.error().message();
  EXPECT_TRUE(contains(partition(0).problem, "taking node 1 offline first failed")) << partition(0).problem;
  ASSERT_EQ(budgets.size(), 1u);
  EXPECT_LE(budgets[0], kTimeout / 2);
}

TEST_F(HotmemModeTest, ReclaimWhoseUnplugIsRefusedBreaksThatPartition) {
  const Grant a = granted("fn-a");
  fake_.set_response("vmem1", Response::kRefuse);

  auto reclaimed = mode_.reclaim({a}, kTimeout);
  ASSERT_FALSE(reclaimed.ok());
  EXPECT_EQ(reclaimed.error().message(), "reclaim incomplete: partition 0: fake vmm: vmem1 refused 0 bytes; ");
  EXPECT_EQ(state(0), PartitionState::kBroken);
  EXPECT_EQ(partition(0).problem, "fake vmm: vmem1 refused 0 bytes");
}

TEST_F(HotmemModeTest, AnOfflineThatFailsButAnUnplugThatWorksSaysTheDriverUnpluggedIt) {
  ASSERT_TRUE(mode_
                  .attach(fake_, config_.memory_devices, shape_,
                          offliner([](int, Clock::duration) -> Status { return Error("a page could not be moved"); }))
                  .ok());
  const Grant a = granted("fn-a");
  auto reclaimed = mode_.reclaim({a}, kTimeout);
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message();
  ASSERT_EQ(reclaimed->fallbacks.size(), 1u);
  EXPECT_EQ(reclaimed->fallbacks[0].first, "fn-a");
  EXPECT_TRUE(contains(reclaimed->fallbacks[0].second, "a page could not be moved")) << reclaimed->fallbacks[0].second;
  EXPECT_EQ(state(0), PartitionState::kEmpty);
}

// Partitions of any size go to the driver's own unplug, and the reclaim
// waits for the guest to remove them; in a zeroing guest they are taken
// offline first, all at once.
TEST(HotmemModeGuest, OnlyAZeroingGuestsPartitionsAreTakenOfflineFirst) {
  struct Seen {
    std::mutex mutex;
    std::vector<int> offlined;
    std::vector<int> gone;
  };
  const auto reclaim_all = [](std::uint64_t partition_bytes, bool zeroes, Seen& seen) {
    vmm::FakeVmm fake;
    const std::vector<vmm::MemoryDeviceSpec> devices{{"vmem1", 1, partition_bytes}, {"vmem2", 2, partition_bytes}};
    fake.add_devices(devices);
    HotmemMode mode;
    HotmemGuest guest;
    guest.offline = [&seen](int node, Clock::duration) -> Status {
      std::lock_guard lock(seen.mutex);
      seen.offlined.push_back(node);
      return ok_status();
    };
    guest.gone = [&seen](const std::vector<int>& nodes, Clock::duration) -> Status {
      std::lock_guard lock(seen.mutex);
      seen.gone.insert(seen.gone.end(), nodes.begin(), nodes.end());
      return ok_status();
    };
    guest.zeroes_on_alloc = zeroes;
    const FunctionShape shape{2, partition_bytes};
    EXPECT_TRUE(mode.attach(fake, devices, shape, guest));
    std::vector<Grant> grants;
    for (const char* name : {"a", "b"}) {
      auto g = mode.begin_grant(name);
      EXPECT_TRUE(g);
      EXPECT_TRUE(mode.finish_grant(*g, std::chrono::seconds(5)));
      grants.push_back(*g);
    }
    auto reclaimed = mode.reclaim(grants, std::chrono::seconds(5));
    ASSERT_TRUE(reclaimed) << reclaimed.error().message();
    EXPECT_EQ(reclaimed->bytes, 2 * partition_bytes);
    std::sort(seen.offlined.begin(), seen.offlined.end());
    std::sort(seen.gone.begin(), seen.gone.end());
  };
  Seen one_block;
  reclaim_all(128 * kMiB, false, one_block);
  EXPECT_TRUE(one_block.offlined.empty());
  EXPECT_EQ(one_block.gone, (std::vector<int>{1, 2})) << "waited for the guest to remove them";

  Seen two_blocks;
  reclaim_all(256 * kMiB, false, two_blocks);
  EXPECT_TRUE(two_blocks.offlined.empty());
  EXPECT_EQ(two_blocks.gone, (std::vector<int>{1, 2}));

  Seen zeroing;
  reclaim_all(128 * kMiB, true, zeroing);
  EXPECT_EQ(zeroing.offlined, (std::vector<int>{1, 2}));
  EXPECT_TRUE(zeroing.gone.empty());

  Seen zeroing_two_blocks;
  reclaim_all(256 * kMiB, true, zeroing_two_blocks);
  EXPECT_EQ(zeroing_two_blocks.offlined, (std::vector<int>{1, 2}));
  EXPECT_TRUE(zeroing_two_blocks.gone.empty());
}

TEST_F(HotmemModeTest, ASetAsidePartitionStaysPluggedUnusedUntilReclaimed) {
  const Grant a = granted("fn-a");
  ASSERT_TRUE(mode_.set_aside(a, "16 MiB of shmem left").ok());
  EXPECT_EQ(state(0), PartitionState::kDirty);
  EXPECT_EQ(partition(0).problem, "16 MiB of shmem left");
  EXPECT_EQ(fake_.device("vmem1").plugged_bytes, kPartition);
  auto held = mode_.held_bytes();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, kPartition);
  auto next = mode_.begin_grant("fn-b");
  ASSERT_TRUE(next.ok()) << next.error().message();
  EXPECT_EQ(next->partition, 1) << "a dirty partition is never reused";
  EXPECT_FALSE(mode_.set_aside(a, "again").ok()) << "only an assigned partition can be set aside";

  auto reclaimed = mode_.reclaim({a}, kTimeout);
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.error().message();
  EXPECT_EQ(reclaimed->bytes, kPartition);
  EXPECT_EQ(state(0), PartitionState::kEmpty);
  EXPECT_TRUE(partition(0).problem.empty());
}

TEST_F(HotmemModeTest, ReclaimOfAPartitionThatIsNotAssignedIsAnError) {
  auto plugging = mode_.begin_grant("fn-a");
  ASSERT_TRUE(plugging.ok()) << plugging.error().message();
  fake_.clear_calls();

  auto early = mode_.reclaim({*plugging}, kTimeout);
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(contains(early.error().message(), "partition 0 of 'fn-a' is plugging, not assigned or dirty")) << early.error().message();
  EXPECT_EQ(state(0), PartitionState::kPlugging);
  EXPECT_TRUE(fake_.calls().empty()) << "nothing may be unplugged";

  // A partition nobody was granted.
  const Grant never{"ghost", kPartition, 3, 2};
  auto ghost = mode_.reclaim({never}, kTimeout);
  ASSERT_FALSE(ghost.ok());
  EXPECT_TRUE(contains(ghost.error().message(), "partition 2 of 'ghost' is empty, not assigned or dirty")) << ghost.error().message();
  EXPECT_EQ(state(2), PartitionState::kEmpty);
}

TEST_F(HotmemModeTest, ReclaimingTheSameGrantTwiceIsAnError) {
  const Grant a = granted("fn-a");
  ASSERT_TRUE(mode_.reclaim({a}, kTimeout).ok());
  fake_.clear_calls();

  auto twice = mode_.reclaim({a}, kTimeout);
  ASSERT_FALSE(twice.ok());
  EXPECT_TRUE(contains(twice.error().message(), "partition 0 of 'fn-a' is empty, not assigned")) << twice.error().message();
  EXPECT_TRUE(fake_.calls().empty());
  EXPECT_EQ(state(0), PartitionState::kEmpty);
}

// When reclaim fails part-way through asking, the partitions it has already
// moved must not be left half-way (draining / unplugging): nothing would
// ever move them on, so they are neither usable nor reported broken.
TEST_F(HotmemModeTest, ReclaimThatFailsOnALaterDeviceLeavesNoPartitionHalfWay) {
  const Grant a = granted("fn-a");
  const Grant b = granted("fn-b");
  fake_.set_response("vmem2", Response::kRefuse);

  ASSERT_FALSE(mode_.reclaim({a, b}, kTimeout).ok());
  EXPECT_EQ(state(1), PartitionState::kBroken);
  EXPECT_EQ(mode_.partitions().count(PartitionState::kUnplugging), 0u)
      << "partition 0 was asked to unplug, then abandoned: it is " << to_string(state(0));
  EXPECT_EQ(mode_.partitions().count(PartitionState::kDraining), 0u);
}

TEST_F(HotmemModeTest, ReclaimWithAnInvalidGrantLeavesNoPartitionHalfWay) {
  const Grant a = granted("fn-a");
  auto b = mode_.begin_grant("fn-b");  // still plugging: not reclaimable
  ASSERT_TRUE(b.ok()) << b.error().message();

  ASSERT_FALSE(mode_.reclaim({a, *b}, kTimeout).ok());
  EXPECT_EQ(mode_.partitions().count(PartitionState::kUnplugging), 0u)
      << "partition 0 was asked to unplug, then abandoned: it is " << to_string(state(0));
  EXPECT_EQ(mode_.partitions().count(PartitionState::kDraining), 0u)
      << "partition 0 was taken from its instance, then abandoned: it is " << to_string(state(0));
  EXPECT_EQ(state(1), PartitionState::kPlugging);
}

TEST_F(HotmemModeTest, DescribeListsEveryPartitionAndItsState) {
  granted("fn-a");
  ASSERT_TRUE(mode_.begin_grant("fn-b").ok());

  const nlohmann::json j = mode_.describe();
  EXPECT_EQ(j["mode"], "hotmem");
  const nlohmann::json& partitions = j["partitions"];
  ASSERT_EQ(partitions.size(), 3u);
  EXPECT_EQ(partitions[0]["state"], "assigned");
  EXPECT_EQ(partitions[0]["instance"], "fn-a");
  EXPECT_EQ(partitions[0]["device"], "vmem1");
  EXPECT_EQ(partitions[0]["node"], 1);
  EXPECT_EQ(partitions[0]["bytes"], kPartition);
  EXPECT_EQ(partitions[1]["state"], "plugging");
  EXPECT_EQ(partitions[1]["instance"], "fn-b");
  EXPECT_EQ(partitions[2]["state"], "empty");
  EXPECT_FALSE(partitions[2].contains("instance"));
  EXPECT_EQ(partitions, mode_.partitions().to_json());
}

TEST_F(HotmemModeTest, ConcurrentGrantsGetDistinctPartitions) {
  constexpr int kThreads = 8;
  std::vector<Result<Grant>> results(kThreads, Error("not run"));
  std::atomic<bool> go = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      const auto i = static_cast<std::size_t>(t);
      results[i] = mode_.begin_grant(fmt::format("fn-{}", t));
      if (results[i]) {
        if (auto plugged = mode_.finish_grant(*results[i], kTimeout); !plugged) results[i] = plugged.error();
      }
    });
  }
  go = true;
  for (std::thread& th : threads) th.join();

  std::set<int> partitions;
  for (const Result<Grant>& r : results) {
    if (!r) continue;
    EXPECT_TRUE(partitions.insert(r->partition.value()).second) << "partition " << *r->partition << " granted twice";
    EXPECT_EQ(partition(*r->partition).instance, r->instance);
  }
  EXPECT_EQ(partitions, (std::set<int>{0, 1, 2}));
  EXPECT_EQ(mode_.partitions().count(PartitionState::kAssigned), 3u);
  EXPECT_EQ(fake_.requests().size(), 3u) << "one plug per granted partition, none for refused claims";
}

}  // namespace
}  // namespace hotmem::host

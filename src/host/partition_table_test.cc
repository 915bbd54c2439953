#include "host/partition_table.h"

#include <array>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/size.h"
#include "common/test_helpers.h"

namespace hotmem::host {
namespace {

using test::contains;

// The hotmem layout: partition k is node k+1, filled by device vmem<k+1>.
std::vector<Partition> layout(int n, std::uint64_t bytes = 256 * kMiB) {
  std::vector<Partition> partitions;
  for (int i = 0; i < n; ++i) {
    Partition p;
    p.index = i;
    p.node = i + 1;
    p.device = fmt::format("vmem{}", i + 1);
    p.bytes = bytes;
    partitions.push_back(p);
  }
  return partitions;
}

// Takes partition `index` (which must be plugging) through to assigned.
void plug(PartitionTable& table, int index) {
  ASSERT_TRUE(table.move(index, PartitionState::kPlugging, PartitionState::kReady).ok());
  ASSERT_TRUE(table.move(index, PartitionState::kReady, PartitionState::kAssigned).ok());
}

TEST(PartitionState, EveryStateHasItsName) {
  EXPECT_STREQ(to_string(PartitionState::kEmpty), "empty");
  EXPECT_STREQ(to_string(PartitionState::kPlugging), "plugging");
  EXPECT_STREQ(to_string(PartitionState::kReady), "ready");
  EXPECT_STREQ(to_string(PartitionState::kAssigned), "assigned");
  EXPECT_STREQ(to_string(PartitionState::kDraining), "draining");
  EXPECT_STREQ(to_string(PartitionState::kUnplugging), "unplugging");
  EXPECT_STREQ(to_string(PartitionState::kDirty), "dirty");
  EXPECT_STREQ(to_string(PartitionState::kBroken), "broken");
}

TEST(PartitionTable, StartsAsGiven) {
  PartitionTable table(layout(3));
  EXPECT_EQ(table.count(PartitionState::kEmpty), 3u);
  const Partition p = table.get(2);
  EXPECT_EQ(p.index, 2);
  EXPECT_EQ(p.node, 3);
  EXPECT_EQ(p.device, "vmem3");
  EXPECT_EQ(p.bytes, 256 * kMiB);
  EXPECT_TRUE(p.instance.empty());
  EXPECT_TRUE(p.problem.empty());
}

TEST(PartitionTable, ClaimTakesTheLowestEmptyPartitionAndNamesTheInstance) {
  PartitionTable table(layout(3));
  auto first = table.claim("fn-a");
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->index, 0);
  EXPECT_EQ(first->node, 1);
  EXPECT_EQ(first->device, "vmem1");
  EXPECT_EQ(first->state, PartitionState::kPlugging);
  EXPECT_EQ(first->instance, "fn-a");

  // The table itself changed, not only the copy handed back.
  EXPECT_EQ(table.get(0).state, PartitionState::kPlugging);
  EXPECT_EQ(table.get(0).instance, "fn-a");

  auto second = table.claim("fn-b");
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(second->index, 1);
  EXPECT_EQ(second->instance, "fn-b");
  EXPECT_EQ(table.get(0).instance, "fn-a");
  EXPECT_EQ(table.count(PartitionState::kEmpty), 1u);
}

TEST(PartitionTable, ClaimReusesAFreedLowerPartitionFirst) {
  PartitionTable table(layout(3));
  ASSERT_TRUE(table.claim("a").ok());
  ASSERT_TRUE(table.claim("b").ok());
  ASSERT_TRUE(table.move(0, PartitionState::kPlugging, PartitionState::kEmpty).ok());

  auto again = table.claim("c");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->index, 0);
  EXPECT_EQ(again->instance, "c");
}

TEST(PartitionTable, ClaimSkipsPartitionsInEveryOtherState) {
  std::vector<Partition> partitions = layout(7);
  const std::array states{PartitionState::kPlugging, PartitionState::kReady,      PartitionState::kAssigned,
                          PartitionState::kDraining, PartitionState::kUnplugging, PartitionState::kBroken};
  for (std::size_t i = 0; i < states.size(); ++i) partitions[i].state = states[i];
  PartitionTable table(std::move(partitions));

  auto claimed = table.claim("x");
  ASSERT_TRUE(claimed.ok()) << claimed.error().message();
  EXPECT_EQ(claimed->index, 6);
  EXPECT_FALSE(table.claim("y").ok());
}

TEST(PartitionTable, ClaimWhenNoneIsEmptyIsAnError) {
  PartitionTable table(layout(2));
  ASSERT_TRUE(table.claim("a").ok());
  ASSERT_TRUE(table.claim("b").ok());

  auto none = table.claim("c");
  ASSERT_FALSE(none.ok());
  const std::string& message = none.error().message();
  EXPECT_TRUE(contains(message, "no empty partition")) << message;
  EXPECT_TRUE(contains(message, "'c'")) << message;
  EXPECT_TRUE(contains(message, "all 2")) << message;
  EXPECT_FALSE(contains(message, "broken")) << message;
  // A failed claim changes nothing.
  EXPECT_EQ(table.get(0).instance, "a");
  EXPECT_EQ(table.get(1).instance, "b");
  EXPECT_EQ(table.count(PartitionState::kPlugging), 2u);
}

TEST(PartitionTable, ClaimErrorCountsBrokenPartitions) {
  PartitionTable table(layout(3));
  table.mark_broken(0, "unplug timed out");
  table.mark_broken(2, "device refused");
  ASSERT_TRUE(table.claim("a").ok());

  auto none = table.claim("b");
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(contains(none.error().message(), "(2 broken)")) << none.error().message();
}

TEST(PartitionTable, OnlyAnAssignedPartitionTurnsDirtyAndADirtyOneIsNeverClaimed) {
  PartitionTable table(layout(2));
  ASSERT_TRUE(table.claim("a").ok());
  EXPECT_FALSE(table.mark_dirty(0, "plugging still").ok());
  plug(table, 0);
  ASSERT_TRUE(table.mark_dirty(0, "16 MiB left").ok());
  EXPECT_EQ(table.get(0).state, PartitionState::kDirty);
  EXPECT_EQ(table.get(0).problem, "16 MiB left");
  EXPECT_EQ(table.get(0).instance, "a");
  table.mark_broken(1, "device refused");
  auto none = table.claim("b");
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(contains(none.error().message(), "(1 broken, 1 dirty)")) << none.error().message();
  ASSERT_TRUE(table.move(0, PartitionState::kDirty, PartitionState::kDraining).ok());
  EXPECT_TRUE(table.get(0).problem.empty());
}

TEST(PartitionTable, ABrokenPartitionIsNeverClaimed) {
  PartitionTable table(layout(3));
  table.mark_broken(0, "rollback failed");

  std::vector<int> claimed;
  for (int i = 0; i < 5; ++i) {
    auto p = table.claim(fmt::format("fn-{}", i));
    if (p) claimed.push_back(p->index);
  }
  EXPECT_EQ(claimed, (std::vector<int>{1, 2}));
  EXPECT_EQ(table.get(0).state, PartitionState::kBroken);
  EXPECT_EQ(table.get(0).problem, "rollback failed");
  EXPECT_TRUE(table.get(0).instance.empty());
}

TEST(PartitionTable, MoveWalksTheWholeLifeKeepingTheInstanceUntilEmpty) {
  PartitionTable table(layout(1));
  ASSERT_TRUE(table.claim("fn").ok());
  const std::array path{PartitionState::kPlugging, PartitionState::kReady,      PartitionState::kAssigned,
                        PartitionState::kDraining, PartitionState::kUnplugging};
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    Status s = table.move(0, path[i], path[i + 1]);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(table.get(0).state, path[i + 1]);
    EXPECT_EQ(table.get(0).instance, "fn") << "lost the instance on becoming " << to_string(path[i + 1]);
  }
  Status s = table.move(0, PartitionState::kUnplugging, PartitionState::kEmpty);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(table.get(0).state, PartitionState::kEmpty);
  EXPECT_TRUE(table.get(0).instance.empty());
}

TEST(PartitionTable, MoveFromTheWrongStateIsAClearErrorAndChangesNothing) {
  PartitionTable table(layout(2));
  ASSERT_TRUE(table.claim("fn").ok());

  Status s = table.move(0, PartitionState::kAssigned, PartitionState::kDraining);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "partition 0 is plugging, not assigned (cannot become draining)");
  EXPECT_EQ(table.get(0).state, PartitionState::kPlugging);
  EXPECT_EQ(table.get(0).instance, "fn");

  // An empty partition cannot be unplugged either.
  Status empty = table.move(1, PartitionState::kUnplugging, PartitionState::kEmpty);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message(), "partition 1 is empty, not unplugging (cannot become empty)");
}

TEST(PartitionTable, MoveOfAPartitionThatDoesNotExistIsAnError) {
  PartitionTable table(layout(2));
  Status high = table.move(2, PartitionState::kEmpty, PartitionState::kPlugging);
  ASSERT_FALSE(high.ok());
  EXPECT_EQ(high.error().message(), "no partition 2");
  Status negative = table.move(-1, PartitionState::kEmpty, PartitionState::kPlugging);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().message(), "no partition -1");
  EXPECT_EQ(table.count(PartitionState::kEmpty), 2u);
}

TEST(PartitionTable, MoveToEmptyClearsTheInstanceFromAnyState) {
  PartitionTable table(layout(1));
  ASSERT_TRUE(table.claim("fn").ok());
  ASSERT_TRUE(table.move(0, PartitionState::kPlugging, PartitionState::kEmpty).ok());
  EXPECT_TRUE(table.get(0).instance.empty());

  // A repaired broken partition comes back empty and claimable.
  ASSERT_TRUE(table.claim("fn2").ok());
  table.mark_broken(0, "stuck");
  ASSERT_TRUE(table.move(0, PartitionState::kBroken, PartitionState::kEmpty).ok());
  EXPECT_TRUE(table.get(0).instance.empty());
  auto again = table.claim("fn3");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->instance, "fn3");
}

TEST(PartitionTable, MarkBrokenKeepsTheReasonFromAnyState) {
  PartitionTable table(layout(3));
  ASSERT_TRUE(table.claim("a").ok());
  plug(table, 0);
  table.mark_broken(0, "unplug of vmem1 timed out");
  table.mark_broken(1, "vmem2 refused");

  EXPECT_EQ(table.get(0).state, PartitionState::kBroken);
  EXPECT_EQ(table.get(0).problem, "unplug of vmem1 timed out");
  EXPECT_EQ(table.get(0).instance, "a");  // who it belonged to, for the operator
  EXPECT_EQ(table.get(1).state, PartitionState::kBroken);
  EXPECT_EQ(table.get(1).problem, "vmem2 refused");
  EXPECT_EQ(table.get(2).state, PartitionState::kEmpty);

  // Broken is not a state any normal transition starts from.
  EXPECT_FALSE(table.move(0, PartitionState::kAssigned, PartitionState::kDraining).ok());
}

TEST(PartitionTable, MarkBrokenOfAPartitionThatDoesNotExistDoesNothing) {
  PartitionTable table(layout(2));
  table.mark_broken(5, "x");
  table.mark_broken(-1, "x");
  EXPECT_EQ(table.count(PartitionState::kEmpty), 2u);
  EXPECT_EQ(table.count(PartitionState::kBroken), 0u);
}

TEST(PartitionTable, CountCountsEachState) {
  PartitionTable table(layout(5));
  ASSERT_TRUE(table.claim("a").ok());  // 0 plugging
  ASSERT_TRUE(table.claim("b").ok());  // 1
  plug(table, 1);                      // 1 assigned
  ASSERT_TRUE(table.claim("c").ok());  // 2
  plug(table, 2);                      // 2 assigned
  table.mark_broken(3, "x");

  EXPECT_EQ(table.count(PartitionState::kEmpty), 1u);
  EXPECT_EQ(table.count(PartitionState::kPlugging), 1u);
  EXPECT_EQ(table.count(PartitionState::kReady), 0u);
  EXPECT_EQ(table.count(PartitionState::kAssigned), 2u);
  EXPECT_EQ(table.count(PartitionState::kDraining), 0u);
  EXPECT_EQ(table.count(PartitionState::kUnplugging), 0u);
  EXPECT_EQ(table.count(PartitionState::kBroken), 1u);
}

TEST(PartitionTable, SnapshotIsACopyOfEveryPartition) {
  PartitionTable table(layout(3));
  ASSERT_TRUE(table.claim("a").ok());
  const std::vector<Partition> before = table.snapshot();
  ASSERT_EQ(before.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(before[static_cast<std::size_t>(i)].index, i);
  EXPECT_EQ(before[0].state, PartitionState::kPlugging);
  EXPECT_EQ(before[0].instance, "a");
  EXPECT_EQ(before[1].state, PartitionState::kEmpty);

  ASSERT_TRUE(table.claim("b").ok());
  EXPECT_EQ(before[1].state, PartitionState::kEmpty) << "a snapshot must not follow the table";
  EXPECT_EQ(table.snapshot()[1].state, PartitionState::kPlugging);
}

TEST(PartitionTable, ToJsonListsEveryPartitionWithInstanceAndProblemOnlyWhenSet) {
  PartitionTable table(layout(3, 128 * kMiB));
  ASSERT_TRUE(table.claim("fn-a").ok());
  plug(table, 0);
  table.mark_broken(1, "vmem2 timed out");

  const nlohmann::json j = table.to_json();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);

  EXPECT_EQ(j[0]["index"], 0);
  EXPECT_EQ(j[0]["node"], 1);
  EXPECT_EQ(j[0]["device"], "vmem1");
  EXPECT_EQ(j[0]["bytes"], 128 * kMiB);
  EXPECT_EQ(j[0]["state"], "assigned");
  EXPECT_EQ(j[0]["instance"], "fn-a");
  EXPECT_FALSE(j[0].contains("problem"));

  EXPECT_EQ(j[1]["state"], "broken");
  EXPECT_EQ(j[1]["problem"], "vmem2 timed out");
  EXPECT_FALSE(j[1].contains("instance"));

  EXPECT_EQ(j[2]["index"], 2);
  EXPECT_EQ(j[2]["node"], 3);
  EXPECT_EQ(j[2]["device"], "vmem3");
  EXPECT_EQ(j[2]["state"], "empty");
  EXPECT_FALSE(j[2].contains("instance"));
  EXPECT_FALSE(j[2].contains("problem"));
}

TEST(PartitionTable, ToJsonOfAnEmptyTableIsAnEmptyArray) {
  PartitionTable table(std::vector<Partition>{});
  EXPECT_EQ(table.to_json(), nlohmann::json::array());
  EXPECT_FALSE(table.claim("a").ok());
}

// Many threads claim at once: each partition goes to exactly one of them,
// and every claim the table grants is one the table still shows.
TEST(PartitionTable, ConcurrentClaimsNeverShareAPartition) {
  constexpr int kPartitions = 16;
  constexpr int kThreads = 8;
  constexpr int kAttempts = 6;  // 48 attempts for 16 partitions
  PartitionTable table(layout(kPartitions));

  std::vector<std::vector<Partition>> won(kThreads);
  std::atomic<bool> go = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      for (int a = 0; a < kAttempts; ++a) {
        auto p = table.claim(fmt::format("t{}-{}", t, a));
        if (p) won[static_cast<std::size_t>(t)].push_back(*p);
      }
    });
  }
  go = true;
  for (std::thread& th : threads) th.join();

  std::set<int> indexes;
  std::size_t total = 0;
  for (const auto& claims : won) {
    for (const Partition& p : claims) {
      ++total;
      EXPECT_TRUE(indexes.insert(p.index).second) << "partition " << p.index << " handed out twice";
      EXPECT_EQ(table.get(p.index).instance, p.instance);
    }
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kPartitions));
  EXPECT_EQ(indexes.size(), static_cast<std::size_t>(kPartitions));
  EXPECT_EQ(table.count(PartitionState::kPlugging), static_cast<std::size_t>(kPartitions));
}

// Threads claim, hold and give back partitions over and over; no partition
// is ever held by two of them at once, and each sees its own name on it.
TEST(PartitionTable, ConcurrentClaimAndReleaseNeverHandsOutAHeldPartition) {
  constexpr int kPartitions = 3;
  constexpr int kThreads = 6;
  constexpr int kRounds = 2000;
  PartitionTable table(layout(kPartitions));
  std::array<std::atomic<int>, kPartitions> holders{};
  std::atomic<int> doubles = 0;
  std::atomic<int> wrong_names = 0;
  std::atomic<int> failed_moves = 0;
  std::atomic<int> successes = 0;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string me = fmt::format("t{}", t);
      for (int r = 0; r < kRounds; ++r) {
        auto p = table.claim(me);
        if (!p) continue;
        const auto i = static_cast<std::size_t>(p->index);
        if (holders[i].fetch_add(1) != 0) ++doubles;
        if (table.get(p->index).instance != me) ++wrong_names;
        ++successes;
        holders[i].fetch_sub(1);
        if (!table.move(p->index, PartitionState::kPlugging, PartitionState::kEmpty)) ++failed_moves;
      }
    });
  }
  for (std::thread& th : threads) th.join();

  EXPECT_EQ(doubles, 0);
  EXPECT_EQ(wrong_names, 0);
  EXPECT_EQ(failed_moves, 0);
  EXPECT_GT(successes, 0);
  EXPECT_EQ(table.count(PartitionState::kEmpty), static_cast<std::size_t>(kPartitions));
}

// Two threads race to move one partition out of the same state: one wins.
TEST(PartitionTable, ConcurrentMovesOfOnePartitionLetExactlyOneWin) {
  for (int round = 0; round < 200; ++round) {
    PartitionTable table(layout(1));
    ASSERT_TRUE(table.claim("fn").ok());
    std::atomic<int> wins = 0;
    std::atomic<bool> go = false;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        while (!go) std::this_thread::yield();
        if (table.move(0, PartitionState::kPlugging, PartitionState::kReady)) ++wins;
      });
    }
    go = true;
    for (std::thread& th : threads) th.join();
    ASSERT_EQ(wins, 1) << "round " << round;
    EXPECT_EQ(table.get(0).state, PartitionState::kReady);
  }
}

}  // namespace
}  // namespace hotmem::host

#include "bench/chaos_plan.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

namespace hotmem::bench {
namespace {

using std::chrono::seconds;

TEST(FaultPlan, TheSameSeedDrawsTheSameFaults) {
  FaultPlan a(7, 2, seconds(2), seconds(5));
  FaultPlan b(7, 2, seconds(2), seconds(5));
  FaultPlan other(8, 2, seconds(2), seconds(5));
  bool differs = false;
  for (int i = 0; i < 30; ++i) {
    const PlannedFault x = a.next();
    const PlannedFault y = b.next();
    const PlannedFault z = other.next();
    EXPECT_EQ(x.kind, y.kind) << i;
    EXPECT_EQ(x.function, y.function) << i;
    EXPECT_EQ(x.pause, y.pause) << i;
    differs = differs || x.kind != z.kind || x.function != z.function || x.pause != z.pause;
  }
  EXPECT_TRUE(differs) << "another seed drew the very same 30 faults";
}

TEST(FaultPlan, EveryRoundHoldsEachKindOnceAndEveryDrawStaysInRange) {
  FaultPlan plan(1, 2, seconds(2), seconds(5));
  std::set<int> functions;
  for (int round = 0; round < 10; ++round) {
    std::map<FaultKind, int> kinds;
    for (std::size_t i = 0; i < std::size(kFaultKinds); ++i) {
      const PlannedFault f = plan.next();
      ++kinds[f.kind];
      functions.insert(f.function);
      EXPECT_GE(f.pause, seconds(2));
      EXPECT_LE(f.pause, seconds(5));
      EXPECT_GE(f.function, 0);
      EXPECT_LT(f.function, 2);
    }
    for (FaultKind kind : kFaultKinds) EXPECT_EQ(kinds[kind], 1) << to_string(kind) << " in round " << round;
  }
  EXPECT_EQ(functions.size(), 2u);
}

TEST(FaultPlan, OnlyTheOomLeavesTheVmStanding) {
  EXPECT_TRUE(fails_vm(FaultKind::kKillQemu));
  EXPECT_TRUE(fails_vm(FaultKind::kSilentAgent));
  EXPECT_FALSE(fails_vm(FaultKind::kOom));
  EXPECT_EQ(to_string(FaultKind::kSilentAgent), "silent-agent");
}

}  // namespace
}  // namespace hotmem::bench

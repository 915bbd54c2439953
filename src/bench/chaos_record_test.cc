#include "bench/chaos_record.h"

#include <gtest/gtest.h>

namespace hotmem::bench {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const Clock::time_point kChaosT0 = Clock::time_point() + std::chrono::hours(1);

InvocationOutcome invocation(int function, int sent_s, int done_s, std::string reason = "", std::string detail = "",
                             bool ok = false) {
  return InvocationOutcome{function, kChaosT0 + seconds(sent_s), kChaosT0 + seconds(done_s), ok, std::move(reason),
                           std::move(detail), false};
}
InvocationOutcome success(int function, int sent_s, int done_s) { return invocation(function, sent_s, done_s, "", "", true); }

TEST(ChaosRecord, ServedAgainIsTheFirstSuccessSentAfterTheFault) {
  ChaosRecord record;
  record.add(success(0, 1, 2));     // before the fault
  record.add(invocation(0, 9, 11, "function VM failed", "QEMU killed"));
  record.add(success(1, 10, 12));   // the other function
  record.add(success(0, 12, 30));   // sent after, returned later than the next
  record.add(success(0, 14, 25));
  InvocationOutcome probe = success(0, 10, 11);
  probe.probe = true;
  record.add(probe);
  auto again = record.served_again(0, kChaosT0 + seconds(10));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, kChaosT0 + seconds(25));
  EXPECT_FALSE(record.served_again(0, kChaosT0 + seconds(15)));
  EXPECT_EQ(record.answered(0), 4u);
}

TEST(ChaosRecord, DetailsOfOneCauseShareAPattern) {
  EXPECT_EQ(detail_pattern("invoke i12: instance gone after 3.5 s."), "invoke iN: instance gone after N s.");
  EXPECT_EQ(detail_pattern("QEMU killed by signal 9"), "QEMU killed by signal N");
  EXPECT_EQ(detail_pattern(""), "");
}

TEST(ChaosRecord, FailuresAreGroupedByReasonMostFirst) {
  const std::vector<InvocationOutcome> all{
      invocation(0, 1, 2, "function unavailable", "invoke i3: reset"),
      invocation(0, 1, 2, "function VM failed", "pid 10 killed"),
      invocation(1, 1, 2, "function VM failed", "pid 11 killed"),
      invocation(1, 1, 2, "function VM failed", "agent silent"),
      invocation(1, 1, 2, "", "no answer"),
      success(0, 1, 2),
  };
  const json groups = failures_by_reason(all);
  ASSERT_EQ(groups.size(), 3u) << groups.dump();
  EXPECT_EQ(groups[0]["reason"], "function VM failed");
  EXPECT_EQ(groups[0]["count"], 3);
  EXPECT_EQ(groups[0]["details"][0], (json{{"detail", "pid N killed"}, {"count", 2}}));
  EXPECT_EQ(groups[1]["reason"], "");  // ties by name: "" first
  EXPECT_EQ(groups[2]["reason"], "function unavailable");
}

TEST(ChaosRecord, SummaryCountsRecoveriesOnlyOnANewVmThatServed) {
  const std::vector<InvocationOutcome> all{success(0, 1, 2), invocation(0, 1, 2, "", "lost"),
                                           invocation(1, 3, 4, "function VM failed", "x")};
  FaultOutcome killed{FaultKind::kKillQemu, 0, kChaosT0 + seconds(10), 100, 200, "", "", seconds(20)};
  FaultOutcome silent{FaultKind::kSilentAgent, 1, kChaosT0 + seconds(60), 300, 400, "function VM failed", "",
                      seconds(35)};
  FaultOutcome never{FaultKind::kKillQemu, 1, kChaosT0 + seconds(120), 400, 400, "", "", std::nullopt};
  FaultOutcome oom{FaultKind::kOom, 0, kChaosT0 + seconds(200), 200, 200, "function unavailable", "", std::nullopt};
  const json row = summarize(all, {killed, silent, never, oom}, {"a", "b"}, kChaosT0);
  EXPECT_EQ(row["invocations"], 3);
  EXPECT_EQ(row["answered"], 1);
  EXPECT_EQ(row["failed"], 2);
  EXPECT_EQ(row["failed_without_reason"], 1);
  EXPECT_EQ(row["faults"], 4);
  EXPECT_EQ(row["faults_kill_qemu"], 2);
  EXPECT_EQ(row["faults_silent_agent"], 1);
  EXPECT_EQ(row["faults_oom"], 1);
  EXPECT_EQ(row["vm_faults"], 3);
  EXPECT_EQ(row["vms_recovered"], 2);
  EXPECT_EQ(row["not_recovered"], 1);
  EXPECT_EQ(row["recovery_s"], (json{20.0, 35.0}));
  EXPECT_EQ(row["recovery_s_worst"], 35.0);
  EXPECT_EQ(row["fault_log"][2]["function"], "b");
  EXPECT_TRUE(row["fault_log"][2]["served_again_s"].is_null());
  EXPECT_EQ(row["fault_log"][0]["at_s"], 10.0);
}

}  // namespace
}  // namespace hotmem::bench

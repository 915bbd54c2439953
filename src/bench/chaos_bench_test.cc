#include "bench/chaos_bench.h"

#include <gtest/gtest.h>

#include "bench/chaos_record.h"
#include "bench/leftovers.h"
#include "common/test_helpers.h"

namespace hotmem::bench {
namespace {

using nlohmann::json;
using test::contains;

// A row as run_chaos_bench writes it, with nothing wrong.
json clean_chaos_row() {
  const Clock::time_point t0 = Clock::now();
  const std::vector<InvocationOutcome> invocations{
      {0, t0, t0 + std::chrono::seconds(1), true, "", "", false},
      {0, t0, t0 + std::chrono::seconds(1), false, "function VM failed", "QEMU killed by signal 9", false}};
  const std::vector<FaultOutcome> faults{{FaultKind::kKillQemu, 0, t0, 10, 20, "", "", std::chrono::seconds(9)}};
  json row = summarize(invocations, faults, {"chaos-a", "chaos-b"}, t0);
  row.update(json{{"mode", "hotmem"}, {"minutes", 1}, {"seed", 2}, {"chaos_s", 60.0}, {"elapsed_s", 75.0},
                  {"vm_failures", 1.0}, {"vm_recoveries", 1.0}, {"migrated_pages", 0.0}, {"dirty_partitions", 0.0},
                  {"not_idle", json::array()}, {"qemu_left", 0}, {"cgroups_left", 0}, {"run_dirs_left", 0},
                  {"leftovers", Leftovers{}.to_json()}, {"vms_seen", 3}});
  return row;
}

TEST(ChaosVerdict, ACleanRunPassesAndItsTableSaysWhatHappened) {
  const json document{{"benchmark", "chaos"}, {"results", {clean_chaos_row()}}};
  EXPECT_TRUE(chaos_verdict(document));
  const std::string table = format_chaos_table(document);
  EXPECT_TRUE(contains(table, "1 answered, 1 failed (0 without a reason)")) << table;
  EXPECT_TRUE(contains(table, "function VM failed")) << table;
  EXPECT_TRUE(contains(table, "1 of 1 failed VMs served again; median 9.0 s, worst 9.0 s")) << table;
  EXPECT_TRUE(contains(table, "0 QEMU processes, 0 cgroups, 0 run directories")) << table;
}

TEST(ChaosVerdict, LeaksReasonlessFailuresAndVmsThatDidNotComeBackFailIt) {
  json row = clean_chaos_row();
  row["failed_without_reason"] = 2;
  row["not_recovered"] = 1;
  row["qemu_left"] = 1;
  row["run_dirs_left"] = 3;
  row["not_idle"] = {"chaos-a: not idle after 60 s"};
  const Status verdict = chaos_verdict(json{{"benchmark", "chaos"}, {"results", {row}}});
  ASSERT_FALSE(verdict);
  const std::string why = verdict.error().message();
  for (const char* clause : {"failed invocations without a reason: 2", "failed VMs that did not serve again: 1",
                             "QEMU processes left: 1", "run directories left: 3", "functions that did not go idle: 1"}) {
    EXPECT_TRUE(contains(why, clause)) << why;
  }
  EXPECT_FALSE(contains(why, "cgroups")) << why;
}

}  // namespace
}  // namespace hotmem::bench

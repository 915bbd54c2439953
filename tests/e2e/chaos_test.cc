// End to end: a short `hotmem bench chaos` (the full one runs 10 minutes):
// two functions invoked in a loop while their QEMU is killed, their agent
// goes silent and an instance is OOM-killed. Every failed invocation
// carries the daemon's reason, at least one killed VM was booted again and
// served, nothing is left on the host, and `hotmem report` reads the result.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/temp_dir.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

namespace fs = std::filesystem;

// Draws a kill-qemu first, then a silent agent at the other function and an
// OOM (bench/chaos_plan.h): every kind within the minute.
constexpr const char* kChaosTestSeed = "2";

TEST(Chaos, FailuresHaveReasonsKilledVmsServeAgainAndNothingIsLeft) {
  auto dir = TempDir::create("/tmp", "e2e-chaos-");
  ASSERT_TRUE(dir) << dir.error().message();
  const fs::path out = dir->path() / "chaos.json";
  const CommandResult run = run_hotmem(
      {"bench", "chaos", "--minutes", "1", "--quick", "--seed", kChaosTestSeed, "--json", out.string()},
      std::chrono::minutes(8));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::ifstream in(out);
  const auto document = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(document.is_object()) << run.output;
  ASSERT_EQ(document["results"].size(), 1u) << document.dump(2);
  const auto& r = document["results"][0];

  EXPECT_GT(r["answered"].get<int>(), 0) << r.dump(2);
  EXPECT_EQ(r["failed_without_reason"], 0) << r["failures"].dump(2);
  for (const auto& group : r["failures"]) EXPECT_NE(group["reason"], "") << group.dump(2);

  EXPECT_GE(r["faults_kill_qemu"].get<int>(), 1) << r["fault_log"].dump(2);
  bool killed_and_served = false;
  for (const auto& f : r["fault_log"]) {
    killed_and_served = killed_and_served || (f["kind"] == "kill-qemu" && f["served_again_s"].is_number() &&
                                              f["qemu_after"] != 0 && f["qemu_after"] != f["qemu_before"]);
  }
  EXPECT_TRUE(killed_and_served) << "no killed VM was booted again and served: " << r["fault_log"].dump(2);
  EXPECT_EQ(r["not_recovered"], 0) << r["fault_log"].dump(2);
  EXPECT_GE(r["vms_recovered"].get<int>(), 1);
  EXPECT_GE(r["vm_recoveries"].get<double>(), r["vms_recovered"].get<double>());

  EXPECT_EQ(r["qemu_left"], 0) << r["leftovers"].dump(2);
  EXPECT_EQ(r["cgroups_left"], 0) << r["leftovers"].dump(2);
  EXPECT_EQ(r["run_dirs_left"], 0) << r["leftovers"].dump(2);
  EXPECT_TRUE(r["not_idle"].empty()) << r["not_idle"].dump(2);

  // The result reads back: a section of the report and a CSV.
  const CommandResult report = run_hotmem({"report", "--results", dir->path().string()});
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_TRUE(fs::exists(dir->path() / "chaos.csv"));
}

}  // namespace
}  // namespace hotmem::e2e

// End to end: `hotmem bench all` on real VMs (the smallest settings), then
// `hotmem report`: every experiment's JSON and CSV exist, and headless
// Chromium draws every plot of the report with data in it.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/temp_dir.h"
#include "report/render_check_for_test.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

namespace fs = std::filesystem;

TEST(BenchReport, AllThenReportRendersEveryPlot) {
  auto dir = TempDir::create("/tmp", "hotmem-bench-report-");
  ASSERT_TRUE(dir);
  const fs::path results = dir->path() / "results";
  auto bench = run_hotmem({"bench", "all", "--smoke", "--out", results.string()}, std::chrono::minutes(15));
  ASSERT_EQ(bench.exit_code, 0) << bench.output;
  auto report = run_hotmem({"report", "--results", results.string()});
  ASSERT_EQ(report.exit_code, 0) << report.output;
  for (const char* experiment :
       {"sizes", "utilization", "cpu", "interference", "colocation", "plug", "scale", "one-to-one"}) {
    EXPECT_TRUE(fs::exists(results / fmt::format("{}.json", experiment))) << experiment;
    EXPECT_TRUE(fs::exists(results / fmt::format("{}.csv", experiment))) << experiment;
  }
  // Colocation: the serving instances answered in every second around the
  // eviction, and hotmem's eviction migrated nothing.
  std::ifstream colocation(results / "colocation.json");
  const auto doc = nlohmann::json::parse(colocation, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  ASSERT_EQ(doc["results"].size(), 2u);
  for (const auto& row : doc["results"]) {
    const std::string mode = row["mode"];
    ASSERT_EQ(row["per_second_requests"].size(), 5u) << mode;  // 2 s before, 3 after
    for (const auto& n : row["per_second_requests"]) EXPECT_GT(n.get<std::uint64_t>(), 0u) << mode;
    EXPECT_GT(row["before_mean_ms"].get<double>(), 0) << mode;
    EXPECT_GT(row["worst_after_ratio"].get<double>(), 0) << mode;
    if (mode == "hotmem") {
      EXPECT_EQ(row["migrated_pages"], 0) << "hotmem's eviction migrated pages";
    }
  }
  auto check = report::testing::render_in_chromium(results / "report.html", dir->path());
  ASSERT_TRUE(check) << check.error().message();
  // One plot per experiment, two for one-to-one (cold start by part, memory per instance).
  EXPECT_EQ(check->expected, "9");
  EXPECT_EQ(check->total, "9");
  EXPECT_EQ(check->rendered, "9") << "every experiment's plot is drawn with data";
}

}  // namespace
}  // namespace hotmem::e2e

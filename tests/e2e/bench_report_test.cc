// End to end: `hotmem bench all` on real VMs (the smallest settings), then
// `hotmem report`: every experiment's JSON and CSV exist, and headless
// Chromium draws every plot of the report with data in it.
#include <filesystem>

#include <gtest/gtest.h>

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
  for (const char* experiment : {"sizes", "utilization", "cpu", "interference", "plug", "scale", "one-to-one"}) {
    EXPECT_TRUE(fs::exists(results / fmt::format("{}.json", experiment))) << experiment;
    EXPECT_TRUE(fs::exists(results / fmt::format("{}.csv", experiment))) << experiment;
  }
  auto check = report::testing::render_in_chromium(results / "report.html", dir->path());
  ASSERT_TRUE(check) << check.error().message();
  // One plot per experiment, two for one-to-one (cold start by part, memory per instance).
  EXPECT_EQ(check->expected, "8");
  EXPECT_EQ(check->total, "8");
  EXPECT_EQ(check->rendered, "8") << "every experiment's plot is drawn with data";
}

}  // namespace
}  // namespace hotmem::e2e

// The report as a browser sees it: headless Chromium loads report.html,
// runs its inline render check, and every plot must have been drawn with
// data in it.
#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "report/render_check_for_test.h"
#include "report/report.h"
#include "report/sample_results_for_test.h"

namespace hotmem::report {
namespace {

namespace fs = std::filesystem;

TEST(ReportRender, HeadlessChromiumDrawsEveryPlot) {
  auto dir = TempDir::create("/tmp", "hotmem-report-render-");
  ASSERT_TRUE(dir) << dir.error().message();
  const fs::path results = dir->path() / "results";
  fs::create_directories(results);
  testing::write_sample_results(results);
  auto written = write_report({results, results});
  ASSERT_TRUE(written) << written.error().message();
  ASSERT_EQ(written->plots, testing::kSamplePlots);

  auto check = testing::render_in_chromium(written->html, dir->path());
  ASSERT_TRUE(check) << check.error().message();
  const std::string expected = std::to_string(testing::kSamplePlots);
  EXPECT_EQ(check->expected, expected);
  EXPECT_EQ(check->total, expected) << "the render check did not run, or the page lost plots";
  EXPECT_EQ(check->rendered, expected) << "some plots were not drawn, or drawn without data";
}

}  // namespace
}  // namespace hotmem::report

// `hotmem report` run as a user runs it: where the files went on success, a
// message that says what to do and a non-zero exit otherwise.
#include <sys/wait.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/proc_stats.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "report/sample_results_for_test.h"

namespace hotmem::report {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code = -1;
  std::string output;
};

CliRun hotmem(const fs::path& work, std::vector<std::string> args) {
  SpawnOptions options;
  options.argv = {HOTMEM_BINARY};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.output = work / "hotmem.out";
  fs::remove(options.output);
  auto child = ChildProcess::spawn(options);
  EXPECT_TRUE(child) << child.error().message();
  if (!child) return {};
  auto status = child->wait_for(std::chrono::seconds(30));
  EXPECT_TRUE(status) << "hotmem hung: " << status.error().message();
  CliRun run;
  run.output = tail_of_file(options.output, 1 << 16);
  if (status) run.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  return run;
}

TEST(ReportCommand, WritesThePageAndCsvAndSaysWhere) {
  auto dir = TempDir::create("/tmp", "hotmem-report-cli-");
  ASSERT_TRUE(dir) << dir.error().message();
  const fs::path results = dir->path() / "results";
  fs::create_directories(results);
  testing::write_sample_results(results);

  CliRun run = hotmem(dir->path(), {"report", "--results", results.string()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find((results / "report.html").string()), std::string::npos) << run.output;
  EXPECT_NE(run.output.find((results / "sizes.csv").string()), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(fmt::format("{} plots", testing::kSamplePlots)), std::string::npos) << run.output;
  EXPECT_TRUE(fs::exists(results / "report.html"));

  const fs::path out = dir->path() / "elsewhere";
  run = hotmem(dir->path(), {"report", "--results", results.string(), "--out", out.string()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(fs::exists(out / "report.html"));
  EXPECT_TRUE(fs::exists(out / "plug.csv"));
}

TEST(ReportCommand, MissingOrEmptyResultsSayHowToGetThem) {
  auto dir = TempDir::create("/tmp", "hotmem-report-cli-");
  ASSERT_TRUE(dir) << dir.error().message();
  for (const auto& args : {std::vector<std::string>{"report", "--results", (dir->path() / "none").string()},
                           std::vector<std::string>{"report", "--results", dir->path().string()}}) {
    const CliRun run = hotmem(dir->path(), args);
    EXPECT_NE(run.exit_code, 0) << run.output;
    EXPECT_LT(run.exit_code, 128) << run.output;
    EXPECT_NE(run.output.find("hotmem bench all --quick"), std::string::npos) << run.output;
  }
}

TEST(ReportCommand, MalformedFileIsNamed) {
  auto dir = TempDir::create("/tmp", "hotmem-report-cli-");
  ASSERT_TRUE(dir) << dir.error().message();
  testing::write_text(dir->path() / "bad.json", "{\"benchmark\": ");
  const CliRun run = hotmem(dir->path(), {"report", "--results", dir->path().string()});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("bad.json"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace hotmem::report

#include "report/report.h"

#include <cmath>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bench/chaos_record.h"
#include "bench/leftovers.h"
#include "common/proc_stats.h"
#include "common/temp_dir.h"
#include "common/test_helpers.h"
#include "report/experiments.h"
#include "report/sample_results_for_test.h"
#include "report/xml_check_for_test.h"

namespace hotmem::report {
namespace {

using test::contains;
using test::count_of;

namespace fs = std::filesystem;
using testing::kSampleExperiments;
using testing::kSamplePlots;
using testing::write_text;

std::string read(const fs::path& path) {
  auto text = read_text_file(path, 64 << 20);
  EXPECT_TRUE(text) << text.error().message();
  return text ? *text : "";
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("/tmp", "hotmem-report-test-");
    ASSERT_TRUE(dir) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
  }
  fs::path dir() const { return dir_->path(); }
  fs::path results() const { return dir() / "results"; }

  std::unique_ptr<TempDir> dir_;
};

// Every <svg ...>...</svg> in the page.
std::vector<std::string> svgs_in(const std::string& html) {
  std::vector<std::string> out;
  for (auto at = html.find("<svg "); at != std::string::npos; at = html.find("<svg ", at + 1)) {
    const auto end = html.find("</svg>", at);
    if (end == std::string::npos) break;
    out.push_back(html.substr(at, end + 6 - at));
  }
  return out;
}

TEST_F(ReportTest, EveryKindGetsASectionPlotsTablesAndCsv) {
  fs::create_directories(results());
  testing::write_sample_results(results());
  auto written = write_report({results(), results()});
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->html, results() / "report.html");
  EXPECT_EQ(written->experiments, kSampleExperiments);
  EXPECT_EQ(written->plots, kSamplePlots);
  EXPECT_TRUE(written->warnings.empty());
  EXPECT_EQ(written->csv_files.size(), static_cast<std::size_t>(kSampleExperiments));

  const std::string html = read(written->html);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_EQ(count_of(html, "<section class=\"experiment\""), static_cast<std::size_t>(kSampleExperiments));
  EXPECT_EQ(count_of(html, "<svg class=\"plot\""), static_cast<std::size_t>(kSamplePlots));
  EXPECT_EQ(count_of(html, "<table class=\"results\">"), static_cast<std::size_t>(kSampleExperiments));
  EXPECT_TRUE(contains(html, fmt::format("data-plots-expected=\"{}\"", kSamplePlots)));
  for (const char* experiment :
       {"reclaim", "sizes", "utilization", "cpu", "interference", "colocation", "plug", "scale", "floor",
        "one-to-one"}) {
    EXPECT_TRUE(contains(html, fmt::format("data-experiment=\"{}\"", experiment))) << experiment;
    EXPECT_TRUE(contains(html, fmt::format("id=\"exp-{}\"", experiment))) << experiment;
  }
  // In the format document's order, the unknown kind last.
  EXPECT_LT(html.find("id=\"exp-reclaim\""), html.find("id=\"exp-sizes\""));
  EXPECT_LT(html.find("id=\"exp-sizes\""), html.find("id=\"exp-utilization\""));
  EXPECT_LT(html.find("id=\"exp-cpu\""), html.find("id=\"exp-interference\""));
  EXPECT_LT(html.find("id=\"exp-interference\""), html.find("id=\"exp-colocation\""));
  EXPECT_LT(html.find("id=\"exp-colocation\""), html.find("id=\"exp-plug\""));
  EXPECT_LT(html.find("id=\"exp-plug\""), html.find("id=\"exp-floor\""));
  EXPECT_LT(html.find("id=\"exp-floor\""), html.find("id=\"exp-one-to-one\""));
  EXPECT_LT(html.find("id=\"exp-one-to-one\""), html.find("id=\"exp-warmup\""));

  // Host line and config.
  EXPECT_TRUE(contains(html, "Host: tcg, 2 CPUs, Example CPU @ 2.0GHz, kernel 6.1.0-56-amd64, 2025-01-02T03:04:05Z"));
  EXPECT_TRUE(contains(html, "<code>instances</code> 10"));
  EXPECT_TRUE(contains(html, "<code>modes</code> hotmem, virtio-mem"));
  // Text from the files is escaped.
  EXPECT_TRUE(contains(html, "&lt;b&gt;&amp;&quot;quoted&quot;, &#39;x&#39;&lt;/b&gt;"));
  EXPECT_FALSE(contains(html, "<b>&"));

  // Self-contained: nothing to fetch, and the render check is inline.
  EXPECT_FALSE(contains(html, "http://"));
  EXPECT_FALSE(contains(html, "https://"));
  EXPECT_FALSE(contains(html, "<script src"));
  EXPECT_FALSE(contains(html, "@import"));
  EXPECT_FALSE(contains(html, "@font-face"));
  EXPECT_FALSE(contains(html, "url("));
  EXPECT_EQ(count_of(html, "<script>"), 1u);
  EXPECT_TRUE(contains(html, "dataset.plotsRendered"));
  EXPECT_TRUE(contains(html, "dataset.plotsTotal"));

  // Each chart is well-formed and has data marks.
  const auto svgs = svgs_in(html);
  ASSERT_EQ(svgs.size(), static_cast<std::size_t>(kSamplePlots));
  for (const std::string& svg : svgs) {
    EXPECT_EQ(testing::xml_problem(svg), "") << svg;
    EXPECT_TRUE(contains(svg, "class=\"data\"")) << svg;
  }

  // Tables: numbers read well, lists are shortened to comma lists.
  EXPECT_TRUE(contains(html, "<th>reclaim_ms</th>"));
  EXPECT_TRUE(contains(html, "<td class=\"num\">108, 120, 144</td>"));
  EXPECT_TRUE(contains(html, "<td>hotmem</td>"));
}

TEST_F(ReportTest, ChartsFollowTheKind) {
  fs::create_directories(results());
  testing::write_sample_results(results());
  auto set = load_result_files(results());
  ASSERT_TRUE(set) << set.error().message();
  for (const ResultFile& file : set->files) {
    const ExperimentView view = view_experiment(file, file.benchmark);
    if (file.benchmark == "warmup") {
      EXPECT_TRUE(view.charts.empty());
      continue;
    }
    // one-to-one: the cold start's parts, and the memory per instance.
    ASSERT_EQ(view.charts.size(), file.benchmark == "one-to-one" ? 2u : 1u) << file.benchmark;
    const bool line = std::holds_alternative<LineChart>(view.charts[0]);
    EXPECT_EQ(line, file.benchmark == "sizes" || file.benchmark == "utilization" || file.benchmark == "scale" ||
                        file.benchmark == "colocation")
        << file.benchmark;
    if (file.benchmark == "scale") {
      const auto& chart = std::get<LineChart>(view.charts[0]);
      ASSERT_EQ(chart.series.size(), 2u);  // measured, and k times one
      EXPECT_EQ(chart.series[0].points.size(), 3u);
      EXPECT_DOUBLE_EQ(chart.series[1].points[2].y, 32 * 30.0);
      EXPECT_TRUE(chart.series[1].dashed);
    }
    if (file.benchmark == "sizes") {
      const auto& chart = std::get<LineChart>(view.charts[0]);
      EXPECT_EQ(chart.x_scale, ScaleKind::kLog2);
      EXPECT_EQ(chart.y_scale, ScaleKind::kLog10);
      ASSERT_EQ(chart.series.size(), 4u);  // 2 modes x 2 zeroing settings
      EXPECT_EQ(chart.series[0].name, "hotmem, zeroing off");
      EXPECT_EQ(chart.series[3].name, "virtio-mem, zeroing on");
      EXPECT_TRUE(chart.series[3].dashed);
      EXPECT_EQ(chart.series[0].points.size(), 4u);
    }
    if (file.benchmark == "utilization") {
      const auto& chart = std::get<LineChart>(view.charts[0]);
      ASSERT_EQ(chart.series.size(), 3u);
      EXPECT_EQ(chart.series[2].name, "balloon");
      EXPECT_DOUBLE_EQ(chart.series[0].points[0].x, 10);  // percent
    }
    if (file.benchmark == "interference") {
      const auto& chart = std::get<BarChart>(view.charts[0]);
      EXPECT_EQ(chart.categories, (std::vector<std::string>{"hotmem", "virtio-mem", "balloon-fpr"}));
      EXPECT_EQ(chart.series.size(), 4u);
    }
    if (file.benchmark == "colocation") {
      const auto& chart = std::get<LineChart>(view.charts[0]);
      ASSERT_EQ(chart.series.size(), 3u);  // the modes, then the eviction
      EXPECT_EQ(chart.series[0].name, "hotmem");
      ASSERT_EQ(chart.series[0].points.size(), 4u);  // the second without requests left out
      EXPECT_DOUBLE_EQ(chart.series[0].points[0].x, -2);
      EXPECT_DOUBLE_EQ(chart.series[0].points[1].x, 0);
      EXPECT_DOUBLE_EQ(chart.series[0].points[1].y, 2.1);
      EXPECT_TRUE(chart.series[2].dashed);
      EXPECT_DOUBLE_EQ(chart.series[2].points[1].y, 4.0);  // up to the highest second of any mode
    }
    if (file.benchmark == "floor") {
      const auto& chart = std::get<BarChart>(view.charts[0]);
      EXPECT_EQ(chart.categories, (std::vector<std::string>{"512 MiB", "2048 MiB"}));
      ASSERT_EQ(chart.series.size(), 3u);  // (a) the floor, (b) the reclaim, (c) its device part
      EXPECT_DOUBLE_EQ(chart.series[0].values[1], 2048.0 / 20);
      EXPECT_DOUBLE_EQ(chart.series[1].values[0], 512.0 / 16);
      EXPECT_DOUBLE_EQ(chart.series[2].values[0], 512.0 / 32);
    }
    if (file.benchmark == "one-to-one") {
      const auto& parts = std::get<BarChart>(view.charts[0]);
      EXPECT_EQ(parts.categories, (std::vector<std::string>{"native\n1:1", "native\nN:1", "python\n1:1", "python\nN:1"}));
      ASSERT_EQ(parts.series.size(), 5u);  // VMM, sandbox, init, first run, in all
      EXPECT_DOUBLE_EQ(parts.series[0].values[0], 9000.0);
      EXPECT_DOUBLE_EQ(parts.series[0].values[1], 30.0);
      const auto& memory = std::get<BarChart>(view.charts[1]);
      EXPECT_DOUBLE_EQ(memory.series[0].values[3], 50.0);
    }
    if (file.benchmark == "reclaim") {
      const auto& chart = std::get<BarChart>(view.charts[0]);
      EXPECT_EQ(chart.categories, (std::vector<std::string>{"hotmem", "virtio-mem"}));
      ASSERT_EQ(chart.series.size(), 2u);
      EXPECT_EQ(chart.series[1].name, "zeroing on");
      EXPECT_DOUBLE_EQ(chart.series[1].values[1], 1800);
    }
  }
}

TEST_F(ReportTest, ReclaimPlotsWhicheverVariableVaries) {
  const auto view_of = [](testing::ordered_json rows) {
    auto file = parse_result_file("r.json", testing::document("reclaim", {}, std::move(rows)).dump());
    EXPECT_TRUE(file && file->has_value());
    return view_experiment(**file, "reclaim");
  };
  using testing::reclaim_row;
  auto by_size = view_of({reclaim_row("hotmem", 0, 0.9, 512, 10), reclaim_row("hotmem", 0, 0.9, 1024, 20)});
  ASSERT_EQ(by_size.charts.size(), 1u);
  EXPECT_EQ(std::get<LineChart>(by_size.charts[0]).x_scale, ScaleKind::kLog2);

  auto by_share = view_of({reclaim_row("hotmem", 0, 0.5, 512, 10), reclaim_row("hotmem", 0, 0.9, 512, 20)});
  ASSERT_EQ(by_share.charts.size(), 1u);
  EXPECT_EQ(std::get<LineChart>(by_share.charts[0]).x_scale, ScaleKind::kLinear);

  auto both = view_of({reclaim_row("hotmem", 0, 0.5, 512, 10), reclaim_row("hotmem", 0, 0.9, 1024, 20),
                       reclaim_row("hotmem", 0, 0.5, 1024, 15)});
  ASSERT_EQ(both.charts.size(), 1u);
  const auto& lines = std::get<LineChart>(both.charts[0]);
  ASSERT_EQ(lines.series.size(), 2u);  // split by utilisation
  EXPECT_EQ(lines.series[0].name, "hotmem, 50%");

  auto neither = view_of({reclaim_row("hotmem", 0, 0.9, 512, 10), reclaim_row("virtio-mem", 0, 0.9, 512, 90)});
  ASSERT_EQ(neither.charts.size(), 1u);
  const auto& bars = std::get<BarChart>(neither.charts[0]);
  EXPECT_EQ(bars.series.size(), 1u);
  EXPECT_TRUE(contains(bars.frame.title, "512 MiB at 90%"));

  EXPECT_TRUE(view_of(testing::ordered_json::array()).charts.empty());
}

TEST_F(ReportTest, CsvFilesHoldEveryRowQuoted) {
  fs::create_directories(results());
  testing::write_sample_results(results());
  const fs::path out = dir() / "out" / "nested";
  auto written = write_report({results(), out});
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->html, out / "report.html");
  EXPECT_FALSE(fs::exists(results() / "report.html"));

  const std::string reclaim = read(out / "reclaim.csv");
  EXPECT_TRUE(reclaim.starts_with("mode,init_on_alloc,utilization,instances_running,reclaim_mib,reclaim_ms,"
                                  "reclaim_ms_all,migrated_pages,migrated_pages_all,host_rss_released_mib,"
                                  "guest_cpu_ms,host_cpu_ms\r\n"))
      << reclaim;
  EXPECT_EQ(count_of(reclaim, "\r\n"), 5u);  // header and 4 rows
  EXPECT_TRUE(contains(reclaim, "\r\nhotmem,0,0.9,9,2048.0,120.0,108.0;120.0;144.0,0,0;0;0,"));

  const std::string cpu = read(out / "cpu.csv");
  EXPECT_TRUE(contains(cpu, ",120.0;80.0,")) << cpu;  // guest_cpu_ms_per_vcpu

  // Unknown kind: columns as they come, a field with a comma and quotes quoted.
  const std::string warmup = read(out / "warmup.csv");
  EXPECT_TRUE(warmup.starts_with("mode,boot_ms,label,extra\r\n")) << warmup;
  EXPECT_TRUE(contains(warmup, "hotmem,9240.5,\"a,b \"\"c\"\"\",\r\n")) << warmup;
  EXPECT_TRUE(contains(warmup, "virtio-mem,9300,,true\r\n")) << warmup;
}

TEST_F(ReportTest, UnknownBenchmarkGetsATableOnly) {
  fs::create_directories(results());
  write_text(results() / "warmup.json", testing::sample_unknown().dump());
  auto written = write_report({results(), results()});
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->plots, 0);
  const std::string html = read(written->html);
  EXPECT_EQ(count_of(html, "<svg"), 0u);
  EXPECT_TRUE(contains(html, "No plot for this benchmark"));
  EXPECT_TRUE(contains(html, "<th>boot_ms</th>"));
  EXPECT_TRUE(contains(html, "<td class=\"num\">9300</td>"));
  EXPECT_TRUE(contains(html, "data-plots-expected=\"0\""));
}

// A chaos run's row as the bench makes it (bench::summarize) and what the
// bench adds: a table (lists shown as JSON), no plot, a CSV.
TEST_F(ReportTest, AChaosRunGetsATableAndACsv) {
  using bench::FaultKind;
  const Clock::time_point t0 = Clock::now();
  const std::vector<bench::InvocationOutcome> invocations{
      {0, t0, t0 + std::chrono::seconds(1), true, "", "", false},
      {1, t0, t0 + std::chrono::seconds(2), false, "function VM failed", "the VM of 'chaos-b' failed (QEMU killed)",
       false}};
  const std::vector<bench::FaultOutcome> faults{
      {FaultKind::kKillQemu, 1, t0, 100, 200, "", "", std::chrono::seconds(21)}};
  nlohmann::json row{{"mode", "hotmem"}, {"minutes", 3}, {"seed", 1}};
  row.update(bench::summarize(invocations, faults, {"chaos-a", "chaos-b"}, t0));
  row["qemu_left"] = 0;
  row["leftovers"] = bench::Leftovers{}.to_json();
  fs::create_directories(results());
  write_text(results() / "chaos.json",
             nlohmann::json{{"benchmark", "chaos"}, {"config", {{"minutes", 3}}}, {"results", {row}}}.dump(2));
  auto written = write_report({results(), results()});
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->experiments, 1);
  EXPECT_EQ(written->plots, 0);
  const std::string html = read(written->html);
  EXPECT_TRUE(contains(html, "chaos: faults on purpose")) << html;
  EXPECT_LT(html.find("<th>failed_without_reason</th>"), html.find("<th>recovery_s_worst</th>"));
  EXPECT_TRUE(contains(html, "<td class=\"num\">21</td>")) << html;
  EXPECT_TRUE(contains(html, "function VM failed"));
  const std::string csv = read(results() / "chaos.csv");
  EXPECT_TRUE(csv.starts_with("mode,minutes,seed,invocations,answered,failed,failed_without_reason,faults,")) << csv;
}

TEST_F(ReportTest, MalformedJsonIsAnErrorNamingTheFile) {
  fs::create_directories(results());
  testing::write_sample_results(results());
  write_text(results() / "broken.json", "{\"benchmark\": \"sizes\", \"results\": [");
  auto written = write_report({results(), results()});
  ASSERT_FALSE(written);
  EXPECT_TRUE(contains(written.error().message(), "broken.json")) << written.error().message();
  EXPECT_TRUE(contains(written.error().message(), "malformed JSON")) << written.error().message();
  EXPECT_FALSE(fs::exists(results() / "report.html"));
}

TEST_F(ReportTest, WrongTypesInAResultFileAreErrors) {
  const auto error_of = [](const std::string& text) {
    auto file = parse_result_file("/r/x.json", text);
    EXPECT_FALSE(file) << text;
    return file ? std::string() : file.error().message();
  };
  EXPECT_TRUE(contains(error_of(R"({"benchmark": "sizes"})"), "\"results\" must be a list"));
  EXPECT_TRUE(contains(error_of(R"({"benchmark": "sizes", "results": {}})"), "x.json"));
  EXPECT_TRUE(contains(error_of(R"({"benchmark": 3, "results": []})"), "\"benchmark\" must be"));
  EXPECT_TRUE(contains(error_of(R"({"benchmark": "", "results": []})"), "non-empty"));
  EXPECT_TRUE(contains(error_of(R"({"benchmark": "cpu", "results": [1]})"), "results[0] must be an object"));
  EXPECT_TRUE(contains(error_of(R"({"benchmark": "cpu", "host": [], "results": []})"), "\"host\" must be an object"));
}

TEST_F(ReportTest, NonResultFilesAreSkippedWithAWarning) {
  fs::create_directories(results());
  write_text(results() / "sizes.json", testing::sample_sizes().dump());
  write_text(results() / "empty.json", "{}");  // what a benchmark leaves when it is interrupted
  write_text(results() / "list.json", "[1, 2]");
  write_text(results() / "notes.txt", "not json at all");
  fs::create_directories(results() / "dir.json");
  auto written = write_report({results(), results()});
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->experiments, 1);
  ASSERT_EQ(written->warnings.size(), 2u);
  EXPECT_TRUE(contains(written->warnings[0], "empty.json"));
  EXPECT_TRUE(contains(written->warnings[1], "list.json"));
  const std::string html = read(written->html);
  EXPECT_TRUE(contains(html, "class=\"warnings\""));
}

TEST_F(ReportTest, MissingOrEmptyDirectorySaysHowToGetResults) {
  auto missing = write_report({dir() / "nope", dir() / "nope"});
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.error().message(), "hotmem bench all --quick")) << missing.error().message();

  fs::create_directories(results());
  write_text(results() / "empty.json", "{}");
  auto empty = write_report({results(), results()});
  ASSERT_FALSE(empty);
  EXPECT_TRUE(contains(empty.error().message(), "no benchmark results")) << empty.error().message();
  EXPECT_TRUE(contains(empty.error().message(), "hotmem bench all --quick"));
}

TEST_F(ReportTest, TwoFilesOfOneBenchmarkShareACsvWithAFileColumn) {
  fs::create_directories(results());
  write_text(results() / "sizes-a.json", testing::sample_sizes().dump());
  write_text(results() / "sizes-b.json", testing::sample_sizes().dump());
  auto written = write_report({results(), results()});
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->experiments, 2);
  EXPECT_EQ(written->plots, 2);
  ASSERT_EQ(written->csv_files.size(), 1u);
  const std::string csv = read(written->csv_files[0]);
  EXPECT_TRUE(csv.starts_with("file,mode,")) << csv;
  EXPECT_TRUE(contains(csv, "\r\nsizes-b.json,virtio-mem,1,"));
  const std::string html = read(written->html);
  EXPECT_TRUE(contains(html, "id=\"exp-sizes\""));
  EXPECT_TRUE(contains(html, "id=\"exp-sizes-2\""));
  EXPECT_TRUE(contains(html, "data-experiment=\"sizes-2\""));
  EXPECT_TRUE(contains(html, "against the size reclaimed (sizes-a.json)</h2>"));
  EXPECT_TRUE(contains(html, "against the size reclaimed (sizes-b.json)</a>"));
}

TEST_F(ReportTest, BenchmarkNamesBecomeSafeFileNames) {
  fs::create_directories(results());
  write_text(results() / "odd.json",
             testing::document("../evil name", {}, testing::ordered_json::array({{{"mode", "hotmem"}, {"x", 1}}})).dump());
  auto written = write_report({results(), results()});
  ASSERT_TRUE(written) << written.error().message();
  ASSERT_EQ(written->csv_files.size(), 1u);
  EXPECT_EQ(written->csv_files[0], results() / "___evil_name.csv");
  EXPECT_TRUE(contains(read(written->html), "../evil name"));
}

}  // namespace
}  // namespace hotmem::report

namespace hotmem::report {
namespace {

constexpr double kMiBytes = 1048576;

// A row as hotmem replay writes it: one function, three samples.
Json replay_row(const std::string& label, const std::string& memory_mode, double budget_mib, double p99_normalised) {
  Json row{{"mode", label},
           {"memory_mode", memory_mode},
           {"policy", label.ends_with(":harvest") ? "harvest" : "sync"},
           {"budget_mib", budget_mib},
           {"latencies_ms", {30.0, 10.0, 20.0, 40.0}},
           {"functions", Json::array({Json{{"name", "float"}, {"p99_ms", 40.0}}})},
           {"rss_samples",
            {{0.0, 300 * kMiBytes, 400 * kMiBytes}, {1.0, 500 * kMiBytes, 600 * kMiBytes},
             {2.0, 450 * kMiBytes, 500 * kMiBytes}}}};
  if (budget_mib > 0) {
    row["functions"][0]["p99_normalised"] = p99_normalised;
    row["p99_normalised_geomean"] = p99_normalised;
    row["abundant_peak_committed_mib"] = 800;
  }
  return row;
}

TEST(ReplayView, FootprintAndLatencyCdfOfTheAbundantRuns) {
  ResultFile file;
  file.benchmark = "replay";
  file.rows = {replay_row("hotmem", "hotmem", 0, 0), replay_row("virtio-mem", "virtio-mem", 0, 0)};
  const ExperimentView view = view_experiment(file, "replay");
  EXPECT_EQ(view.columns.at(1), "budget_mib");
  ASSERT_EQ(view.charts.size(), 2u);  // nothing budgeted: no budget charts
  const auto& footprint = std::get<LineChart>(view.charts[0]);
  ASSERT_EQ(footprint.series.size(), 2u);
  EXPECT_EQ(footprint.series[1].name, "virtio-mem");
  ASSERT_EQ(footprint.series[0].points.size(), 3u);
  EXPECT_DOUBLE_EQ(footprint.series[0].points[1].y, 500);  // RSS in MiB, not committed
  const auto& cdf = std::get<LineChart>(view.charts[1]);
  ASSERT_EQ(cdf.series[0].points.size(), 4u);
  EXPECT_DOUBLE_EQ(cdf.series[0].points[0].x, 10);  // sorted
  EXPECT_DOUBLE_EQ(cdf.series[0].points[3].y, 100);
}

TEST(ReplayView, BudgetedRunsGetCommittedMemoryAndNormalisedP99) {
  ResultFile file;
  file.benchmark = "replay";
  file.rows = {replay_row("hotmem", "hotmem", 0, 0), replay_row("virtio-mem", "virtio-mem", 0, 0),
               replay_row("hotmem", "hotmem", 480, 1.5), replay_row("virtio-mem", "virtio-mem", 480, 4),
               replay_row("virtio-mem:harvest", "virtio-mem", 480, 2)};
  file.rows[4]["functions"].push_back(Json{{"name", "chameleon"}, {"p99_normalised", 3}});
  const ExperimentView view = view_experiment(file, "replay");
  ASSERT_EQ(view.charts.size(), 4u);
  EXPECT_EQ(std::get<LineChart>(view.charts[0]).series.size(), 2u);  // the abundant runs only
  EXPECT_EQ(std::get<LineChart>(view.charts[1]).series.size(), 2u);

  const auto& committed = std::get<LineChart>(view.charts[2]);
  ASSERT_EQ(committed.series.size(), 4u);  // three runs and the budget
  EXPECT_EQ(committed.series[2].name, "virtio-mem:harvest");
  ASSERT_EQ(committed.series[0].points.size(), 3u);
  EXPECT_DOUBLE_EQ(committed.series[0].points[1].y, 0.75);  // 600 MiB committed of an 800 MiB peak
  const LineSeries& budget = committed.series[3];
  EXPECT_EQ(budget.name, "budget");
  EXPECT_TRUE(budget.dashed);
  ASSERT_EQ(budget.points.size(), 2u);
  EXPECT_DOUBLE_EQ(budget.points[0].x, 0);
  EXPECT_DOUBLE_EQ(budget.points[1].x, 2);
  EXPECT_DOUBLE_EQ(budget.points[0].y, 0.6);  // 480 of 800 MiB
  EXPECT_NE(committed.series[1].color, committed.series[2].color);  // sync and harvest apart

  const auto& p99 = std::get<BarChart>(view.charts[3]);
  EXPECT_EQ(p99.categories, (std::vector<std::string>{"float", "chameleon"}));
  ASSERT_EQ(p99.series.size(), 3u);
  EXPECT_EQ(p99.series[1].name, "virtio-mem");
  ASSERT_EQ(p99.series[1].values.size(), 2u);
  EXPECT_DOUBLE_EQ(p99.series[1].values[0], 4);
  EXPECT_TRUE(std::isnan(p99.series[1].values[1]));  // it has no chameleon
  EXPECT_DOUBLE_EQ(p99.series[2].values[1], 3);

  for (const Chart& chart : view.charts) {
    const std::string svg = std::visit([](const auto& c) { return render_svg(c); }, chart);
    EXPECT_EQ(testing::xml_problem(svg), "") << svg;
    EXPECT_TRUE(contains(svg, "class=\"data\"")) << svg;
  }
}

TEST(ReplayView, OldRowsWithAHostMemoryCapStillPlot) {
  ResultFile file;
  file.benchmark = "replay";
  for (const char* mode : {"hotmem", "static"}) {
    file.rows.push_back(Json{{"mode", mode},
                             {"host_memory_cap_mib", 0},
                             {"latencies_ms", {30.0, 10.0, 20.0, 40.0}},
                             {"rss_samples", {{0.0, 300.0 * kMiBytes}, {1.0, 500.0 * kMiBytes}}}});
  }
  file.rows.push_back(Json{{"mode", "hotmem"}, {"host_memory_cap_mib", 700}, {"latencies_ms", {1.0}}});
  const ExperimentView view = view_experiment(file, "replay");
  ASSERT_EQ(view.charts.size(), 2u);  // the capped row has nothing the budget charts draw
  const auto& footprint = std::get<LineChart>(view.charts[0]);
  ASSERT_EQ(footprint.series.size(), 2u);
  EXPECT_EQ(footprint.series[1].name, "static");
  EXPECT_DOUBLE_EQ(footprint.series[0].points[1].y, 500);  // MiB
  EXPECT_EQ(std::get<LineChart>(view.charts[1]).series[0].points.size(), 4u);
}

}  // namespace
}  // namespace hotmem::report

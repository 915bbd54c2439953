// hotmem report
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "report/report.h"

namespace hotmem::cli {
namespace {

struct ReportArgs {
  std::string results_dir = "results";
  std::string out_dir;  // empty: the results directory
};

Status run_report(const ReportArgs& args) {
  report::ReportOptions options;
  options.results_dir = args.results_dir;
  options.out_dir = args.out_dir.empty() ? args.results_dir : args.out_dir;
  auto written = report::write_report(options);
  if (!written) return written.error();
  for (const std::string& warning : written->warnings) fmt::print(stderr, "hotmem: warning: {}\n", warning);
  fmt::print("report: {} ({} experiments, {} plots)\n", written->html.string(), written->experiments, written->plots);
  for (const auto& csv : written->csv_files) fmt::print("csv:    {}\n", csv.string());
  return ok_status();
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* report = app.add_subcommand(
      "report", "Turn benchmark results (JSON) into one HTML page with a plot per experiment, and CSV files");
  report->add_option("--results", args->results_dir, "Directory holding the result JSON files")
      ->capture_default_str();
  report->add_option("--out", args->out_dir, "Where report.html and the CSV files go (default: the --results directory)");
  report->callback([args, &exit_code] {
    Status s = run_report(*args);
    if (!s) exit_code = report_error(s.error().message());
  });
}

}  // namespace hotmem::cli

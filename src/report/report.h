// `hotmem report`: benchmark result files turned into one self-contained HTML
// page (a section per experiment: what it measured, the host, the config, its
// charts as inline SVG and a table of its rows) and one CSV file per
// benchmark beside it.
//
// The page loads nothing: no external script, style sheet, font or image. A
// small inline script counts the charts the browser really drew and records
// the count on <body> (data-plots-rendered, data-plots-total), which the
// headless render test checks.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "report/result_files.h"

namespace hotmem::report {

struct CsvFile {
  std::string name;  // "<benchmark>.csv"
  std::string text;
};

struct Report {
  std::string html;
  std::vector<CsvFile> csv_files;
  int experiments = 0;
  int plots = 0;
};

// Builds the page and the CSV files for `results`; `source` names where they
// came from, for the page's header.
Report build_report(const ResultSet& results, const std::string& source);

struct ReportOptions {
  std::filesystem::path results_dir;
  std::filesystem::path out_dir;  // created if missing
};

struct WrittenReport {
  std::filesystem::path html;
  std::vector<std::filesystem::path> csv_files;
  std::vector<std::string> warnings;  // result files skipped
  int experiments = 0;
  int plots = 0;
};

// Reads every result file in options.results_dir and writes report.html and
// the CSV files into options.out_dir. A missing directory, or one without a
// single result file, is an Error that says how to get results.
Result<WrittenReport> write_report(const ReportOptions& options);

}  // namespace hotmem::report

// What the report knows about each kind of benchmark (docs/results-format.md):
// what it measured, in one sentence; the order its columns read best in; and
// which charts show it. Benchmarks it does not know get a table only.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "report/result_files.h"
#include "report/svg_plot.h"

namespace hotmem::report {

using Chart = std::variant<LineChart, BarChart>;

struct ExperimentView {
  std::string heading;               // e.g. "sizes: reclaim latency against size"
  std::string description;           // what it measured, one sentence
  std::vector<std::string> columns;  // row keys to show first, in this order
  std::vector<Chart> charts;         // only charts with data; none for unknown kinds
};

// `experiment` names the section; it becomes each chart's data-experiment.
ExperimentView view_experiment(const ResultFile& file, const std::string& experiment);

// The row keys a benchmark's tables show first, in this order.
std::vector<std::string> preferred_columns(std::string_view benchmark);

// Where a benchmark's section goes: the known kinds in the order of the
// format document, then the rest.
int experiment_order(std::string_view benchmark);

}  // namespace hotmem::report

#include "report/experiments.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "report/number_format.h"

namespace hotmem::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The modes in the order of docs/results-format.md; a mode keeps its colour
// in every chart that colours by mode.
constexpr std::array<std::string_view, 5> kModes{"hotmem", "virtio-mem", "balloon", "balloon-fpr", "static"};

int mode_rank(std::string_view mode) {
  const auto it = std::find(kModes.begin(), kModes.end(), mode);
  return static_cast<int>(it - kModes.begin());  // unknown modes: kModes.size()
}

double number_at(const Json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_number() ? it->get<double>() : kNaN;
}

std::string mode_of(const Json& row) {
  const auto it = row.find("mode");
  if (it == row.end()) return "(no mode)";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// The guest zeroing setting: 0 off, 1 on (any other number), -1 where a row
// does not have one.
int zeroing_of(const Json& row) {
  const double v = number_at(row, "init_on_alloc");
  if (!std::isfinite(v)) return -1;
  return v != 0 ? 1 : 0;
}

bool varies(const std::vector<Json>& rows, const char* key) {
  std::set<double> seen;
  for (const Json& row : rows) {
    const double v = number_at(row, key);
    if (std::isfinite(v)) seen.insert(v);
  }
  return seen.size() > 1;
}

bool zeroing_varies(const std::vector<Json>& rows) {
  std::set<int> seen;
  for (const Json& row : rows) seen.insert(zeroing_of(row));
  return seen.size() > 1;
}

std::string zeroing_label(int zeroing) {
  return zeroing < 0 ? "zeroing unknown" : zeroing ? "zeroing on" : "zeroing off";
}

// Rows grouped by mode and zeroing setting, in mode order: the categories of
// a bar chart. When a file holds two rows for one group, the first counts.
struct ModeGroup {
  int rank = 0;
  std::string mode;
  int zeroing = -1;
  const Json* row = nullptr;

  auto key() const { return std::tie(rank, mode, zeroing); }
};

std::vector<ModeGroup> mode_groups(const std::vector<Json>& rows) {
  std::vector<ModeGroup> groups;
  for (const Json& row : rows) {
    ModeGroup g{mode_rank(mode_of(row)), mode_of(row), zeroing_of(row), &row};
    const bool seen = std::any_of(groups.begin(), groups.end(), [&g](const ModeGroup& o) { return o.key() == g.key(); });
    if (!seen) groups.push_back(g);
  }
  std::stable_sort(groups.begin(), groups.end(), [](const ModeGroup& a, const ModeGroup& b) { return a.key() < b.key(); });
  return groups;
}

std::vector<std::string> category_labels(const std::vector<ModeGroup>& groups, bool with_zeroing) {
  std::vector<std::string> labels;
  for (const ModeGroup& g : groups) labels.push_back(with_zeroing ? g.mode + "\n" + zeroing_label(g.zeroing) : g.mode);
  return labels;
}

struct Metric {
  const char* key;
  std::string name;
  int color;
};

// One bar per metric for each mode (and zeroing setting).
BarChart bars_by_mode(const std::vector<Json>& rows, ChartFrame frame, const std::vector<Metric>& metrics) {
  const std::vector<ModeGroup> groups = mode_groups(rows);
  BarChart chart;
  chart.frame = std::move(frame);
  chart.categories = category_labels(groups, zeroing_varies(rows));
  for (const Metric& m : metrics) {
    BarSeries series{m.name, {}, m.color};
    for (const ModeGroup& g : groups) series.values.push_back(number_at(*g.row, m.key));
    chart.series.push_back(std::move(series));
  }
  return chart;
}

// --- reclaim, sizes, utilization -------------------------------------------

enum class Sweep { kSize, kUtilization, kNone };

// Which variable a reclaim-family file varies: the one its kind names, or for
// "reclaim" whichever changes (size first).
Sweep sweep_of(const ResultFile& file) {
  if (file.benchmark == "sizes") return Sweep::kSize;
  if (file.benchmark == "utilization") return Sweep::kUtilization;
  if (varies(file.rows, "reclaim_mib")) return Sweep::kSize;
  if (varies(file.rows, "utilization")) return Sweep::kUtilization;
  return Sweep::kNone;
}

std::string percent(double share) { return format_number(share * 100) + "%"; }

// Latency against the swept variable: one line per mode and zeroing setting
// (colour by mode, dashed with zeroing on), and per value of the other
// variable when that changes too.
LineChart reclaim_lines(const ResultFile& file, Sweep sweep, const std::string& experiment) {
  const bool by_size = sweep == Sweep::kSize;
  const char* x_key = by_size ? "reclaim_mib" : "utilization";
  const char* other_key = by_size ? "utilization" : "reclaim_mib";
  const bool split_other = varies(file.rows, other_key);
  const bool with_zeroing = zeroing_varies(file.rows);

  using Key = std::tuple<int, std::string, int, double>;  // mode rank, mode, zeroing, other variable
  std::map<Key, LineSeries> lines;
  for (const Json& row : file.rows) {
    const std::string mode = mode_of(row);
    const int zeroing = zeroing_of(row);
    const double other = split_other ? number_at(row, other_key) : 0;
    LineSeries& series = lines[Key{mode_rank(mode), mode, zeroing, std::isfinite(other) ? other : -1}];
    if (series.name.empty()) {
      series.name = mode;
      if (with_zeroing) series.name += ", " + zeroing_label(zeroing);
      if (split_other) series.name += ", " + (by_size ? percent(other) : format_number(other) + " MiB");
      series.dashed = zeroing == 1;
      if (!split_other) series.color = mode_rank(mode);
    }
    const double x = number_at(row, x_key);
    series.points.push_back(Point{by_size ? x : x * 100, number_at(row, "reclaim_ms")});
  }

  LineChart chart;
  chart.frame.experiment = experiment;
  if (by_size) {
    chart.frame.title = "Reclaim latency by reclaimed size";
    chart.frame.x_title = "memory reclaimed at once (MiB, log scale)";
    chart.frame.y_title = "median reclaim latency (ms, log scale)";
    chart.x_scale = ScaleKind::kLog2;
    chart.y_scale = ScaleKind::kLog10;
  } else {
    chart.frame.title = "Reclaim latency by utilisation";
    chart.frame.x_title = "instance memory in use before the reclaim (%)";
    chart.frame.y_title = "median reclaim latency (ms)";
  }
  for (auto& [key, series] : lines) chart.series.push_back(std::move(series));
  // Unknown modes share rank kModes.size(); give each its own colour.
  int next_unknown = static_cast<int>(kModes.size());
  for (LineSeries& s : chart.series) {
    if (s.color == static_cast<int>(kModes.size())) s.color = next_unknown++;
  }
  return chart;
}

// Neither size nor utilisation changes: latency per mode, one bar per
// zeroing setting.
BarChart reclaim_bars(const ResultFile& file, const std::string& experiment) {
  std::vector<std::string> modes;
  std::vector<int> zeroings;
  for (const ModeGroup& g : mode_groups(file.rows)) {
    if (std::find(modes.begin(), modes.end(), g.mode) == modes.end()) modes.push_back(g.mode);
    if (std::find(zeroings.begin(), zeroings.end(), g.zeroing) == zeroings.end()) zeroings.push_back(g.zeroing);
  }
  std::sort(zeroings.begin(), zeroings.end());
  BarChart chart;
  chart.frame.experiment = experiment;
  std::string setting;
  if (!file.rows.empty()) {
    const double mib = number_at(file.rows.front(), "reclaim_mib");
    const double share = number_at(file.rows.front(), "utilization");
    if (std::isfinite(mib) && std::isfinite(share)) {
      setting = fmt::format(" ({} MiB at {} utilisation)", format_number(mib), percent(share));
    }
  }
  chart.frame.title = "Median reclaim latency by mode" + setting;
  chart.frame.y_title = "median reclaim latency (ms)";
  chart.categories = modes;
  for (std::size_t z = 0; z < zeroings.size(); ++z) {
    BarSeries series{zeroings.size() > 1 ? zeroing_label(zeroings[z]) : "median reclaim latency", {},
                     static_cast<int>(z)};
    for (const std::string& mode : modes) {
      double value = kNaN;
      for (const Json& row : file.rows) {
        if (mode_of(row) == mode && zeroing_of(row) == zeroings[z]) {
          value = number_at(row, "reclaim_ms");
          break;
        }
      }
      series.values.push_back(value);
    }
    chart.series.push_back(std::move(series));
  }
  return chart;
}

std::vector<Chart> reclaim_charts(const ResultFile& file, const std::string& experiment) {
  const Sweep sweep = sweep_of(file);
  if (sweep == Sweep::kNone) return {reclaim_bars(file, experiment)};
  return {reclaim_lines(file, sweep, experiment)};
}

// --- cpu, interference, plug -------------------------------------------------

ChartFrame bar_frame(const std::string& experiment, std::string title, std::string y_title) {
  ChartFrame frame;
  frame.experiment = experiment;
  frame.title = std::move(title);
  frame.y_title = std::move(y_title);
  return frame;
}

std::vector<Chart> cpu_charts(const ResultFile& file, const std::string& experiment) {
  return {bars_by_mode(file.rows, bar_frame(experiment, "CPU time per GiB reclaimed", "CPU ms per GiB reclaimed"),
                       {{"guest_cpu_ms_per_gib", "guest (busy vCPU time)", 0},
                        {"host_cpu_ms_per_gib", "host (QEMU threads)", 1}})};
}

std::vector<Chart> interference_charts(const ResultFile& file, const std::string& experiment) {
  return {bars_by_mode(file.rows,
                       bar_frame(experiment, "Neighbour's request latency, idle and during reclaim",
                                 "request latency (ms)"),
                       {{"idle_p50_ms", "idle p50", 5},
                        {"idle_p99_ms", "idle p99", 0},
                        {"reclaim_p50_ms", "during reclaim p50", 4},
                        {"reclaim_p99_ms", "during reclaim p99", 1}})};
}

// Per mode, the serving instances' mean request latency in each second
// around the eviction (second 0 starts at it), with the eviction as a
// dashed vertical line: the paper's Fig. 9.
std::vector<Chart> colocation_charts(const ResultFile& file, const std::string& experiment) {
  LineChart chart;
  chart.frame.experiment = experiment;
  chart.frame.title = "Serving instances' mean request latency per second, around the eviction of their neighbours";
  chart.frame.x_title = "seconds from the eviction (each point: the second that starts there)";
  chart.frame.y_title = "mean request latency (ms)";
  double low = kNaN, high = kNaN;
  for (const Json& row : file.rows) {
    const auto seconds = row.find("per_second_ms");
    const double first = number_at(row, "first_second");
    if (seconds == row.end() || !seconds->is_array() || !std::isfinite(first)) continue;
    LineSeries series{mode_of(row), {}};
    series.color = mode_rank(series.name);
    for (std::size_t i = 0; i < seconds->size(); ++i) {
      if (!(*seconds)[i].is_number()) continue;
      const double ms = (*seconds)[i].get<double>();
      series.points.push_back(Point{first + static_cast<double>(i), ms});
      if (!(ms >= low)) low = ms;
      if (!(ms <= high)) high = ms;
    }
    if (!series.points.empty()) chart.series.push_back(std::move(series));
  }
  if (!chart.series.empty() && std::isfinite(low)) {
    LineSeries eviction{"eviction", {Point{0, low}, Point{0, high}}};
    eviction.color = 6;
    eviction.dashed = true;
    chart.series.push_back(std::move(eviction));
  }
  return {chart};
}

std::vector<Chart> plug_charts(const ResultFile& file, const std::string& experiment) {
  return {bars_by_mode(file.rows, bar_frame(experiment, "Instance start time, and the part spent plugging memory", "time (ms)"),
                       {{"start_ms", "start (ask to ready)", 0}, {"plug_ms", "plug memory", 4}})};
}

// One VM's partitions reclaimed k at once: the latency against k, and what
// k reclaims of one partition each would take (k times the k = 1 median).
std::vector<Chart> scale_charts(const ResultFile& file, const std::string& experiment) {
  LineSeries measured{"hotmem, k at once", {}};
  LineSeries one_by_one{"k times one partition", {}};
  measured.color = 0;
  one_by_one.color = 6;
  one_by_one.dashed = true;
  double one = kNaN;
  for (const Json& row : file.rows) {
    if (number_at(row, "reclaim_partitions") == 1) one = number_at(row, "reclaim_ms");
  }
  for (const Json& row : file.rows) {
    const double k = number_at(row, "reclaim_partitions");
    measured.points.push_back(Point{k, number_at(row, "reclaim_ms")});
    if (std::isfinite(one)) one_by_one.points.push_back(Point{k, k * one});
  }
  LineChart chart;
  chart.frame.experiment = experiment;
  chart.frame.title = "Reclaiming k partitions of one VM at once";
  chart.frame.x_title = "partitions reclaimed at once";
  chart.frame.y_title = "median reclaim latency (ms)";
  chart.series.push_back(std::move(measured));
  if (!one_by_one.points.empty()) chart.series.push_back(std::move(one_by_one));
  return {chart};
}

// --- floor --------------------------------------------------------------------

// Per size: the floor (unused memory), hotmem's reclaim, and its device part.
std::vector<Chart> floor_charts(const ResultFile& file, const std::string& experiment) {
  BarChart chart;
  chart.frame = bar_frame(experiment, "hotmem's reclaim against the floor (unplugging memory no instance used)",
                          "median time (ms)");
  std::vector<BarSeries> series{{"(a) unused memory: the floor", {}, 5},
                                {"(b) hotmem's reclaim", {}, 0},
                                {"(c) the device part of (b)", {}, 4}};
  for (const Json& row : file.rows) {
    chart.categories.push_back(format_number(number_at(row, "reclaim_mib")) + " MiB");
    series[0].values.push_back(number_at(row, "unused_ms"));
    series[1].values.push_back(number_at(row, "reclaim_ms"));
    series[2].values.push_back(number_at(row, "device_ms"));
  }
  chart.series = std::move(series);
  return {chart};
}

// --- one-to-one -------------------------------------------------------------

std::string text_at(const Json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_string() ? it->get<std::string>() : "?";
}

// Per runtime and model: the cold start's parts side by side (the paper's
// Fig. 11 stacks them), and the memory per instance.
std::vector<Chart> one_to_one_charts(const ResultFile& file, const std::string& experiment) {
  BarChart parts;
  parts.frame = bar_frame(experiment, "Cold start by part: VMM (1:1 boot, N:1 plug), sandbox, /init, first run",
                          "median time (ms)");
  std::vector<BarSeries> series{{"VMM: boot (1:1) or plug (N:1)", {}, 0},
                                {"sandbox start", {}, 1},
                                {"function init (/init)", {}, 2},
                                {"first execution", {}, 4},
                                {"cold start in all", {}, 6}};
  const char* keys[] = {"vmm_ms", "sandbox_ms", "init_ms", "exec_ms", "cold_start_ms"};
  BarChart memory;
  memory.frame = bar_frame(experiment, "Memory per instance (1:1: the VM's QEMU RSS; N:1: what one more instance adds)",
                           "MiB");
  BarSeries per_instance{"memory per instance", {}, 0};
  for (const Json& row : file.rows) {
    const std::string category = text_at(row, "runtime") + "\n" + text_at(row, "model");
    parts.categories.push_back(category);
    memory.categories.push_back(category);
    for (std::size_t i = 0; i < series.size(); ++i) series[i].values.push_back(number_at(row, keys[i]));
    per_instance.values.push_back(number_at(row, "memory_per_instance_mib"));
  }
  parts.series = std::move(series);
  memory.series = {std::move(per_instance)};
  return {parts, memory};
}

// --- replay -------------------------------------------------------------------

constexpr double kBytesPerMiB = 1024.0 * 1024.0;
constexpr int kBudgetColor = 6;  // black; dashed, unlike the runs

// Replay rows: one per run. budget_mib 0 (or absent) is an abundant run;
// above 0 the VMs shared a host memory budget. Older files had
// host_memory_cap_mib instead, 0 for the uncapped runs.
bool abundant(const Json& row) {
  double budget = number_at(row, "budget_mib");
  if (!std::isfinite(budget)) budget = number_at(row, "host_memory_cap_mib");
  return !std::isfinite(budget) || budget == 0;
}

std::vector<const Json*> replay_rows(const ResultFile& file, bool want_abundant) {
  std::vector<const Json*> rows;
  for (const Json& row : file.rows) {
    if (abundant(row) == want_abundant) rows.push_back(&row);
  }
  return rows;
}

// A replay run keeps its memory mode's colour; a harvest run of it gets one
// of its own, so its bars stand apart from the sync run's.
int replay_color(const Json& row) {
  std::string memory_mode = mode_of(row);
  if (const auto it = row.find("memory_mode"); it != row.end() && it->is_string()) memory_mode = it->get<std::string>();
  const auto policy = row.find("policy");
  const bool harvest = policy != row.end() && policy->is_string() && policy->get<std::string>() == "harvest";
  return mode_rank(memory_mode.substr(0, memory_mode.find(':'))) + (harvest ? static_cast<int>(kModes.size()) : 0);
}

const Json* array_at(const Json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_array() ? &*it : nullptr;
}

// Element `index` of each [t_s, rss_bytes, committed_bytes] sample (older
// files: [t_s, rss_bytes]) against its time, scaled by `factor`.
std::vector<Point> sample_points(const Json& row, std::size_t index, double factor) {
  std::vector<Point> points;
  const Json* samples = array_at(row, "rss_samples");
  if (samples == nullptr) return points;
  for (const Json& sample : *samples) {
    if (!sample.is_array() || sample.size() < 2 || sample.size() > 3 || index >= sample.size()) continue;
    if (sample[0].is_number() && sample[index].is_number()) {
      points.push_back(Point{sample[0].get<double>(), sample[index].get<double>() * factor});
    }
  }
  return points;
}

LineSeries latency_cdf(const Json& row) {
  std::vector<double> latencies;
  if (const Json* values = array_at(row, "latencies_ms")) {
    for (const Json& v : *values) {
      if (v.is_number() && v.get<double>() > 0) latencies.push_back(v.get<double>());
    }
  }
  std::sort(latencies.begin(), latencies.end());
  LineSeries share{mode_of(row), {}, replay_color(row), false};
  for (std::size_t i = 0; i < latencies.size(); ++i) {
    share.points.push_back(Point{latencies[i], 100.0 * double(i + 1) / double(latencies.size())});
  }
  return share;
}

// Committed memory of each budgeted run over its memory mode's abundant
// peak, with the budget as a flat dashed line on the same scale.
LineChart committed_under_budget(const std::vector<const Json*>& budgeted, const std::string& experiment) {
  LineChart chart;
  chart.frame = ChartFrame{experiment, "Committed memory under the budget, normalised to the abundant peak",
                           "time since the first arrival (s)", "committed memory / abundant peak"};
  double first_t = kNaN;
  double last_t = kNaN;
  for (const Json* row : budgeted) {
    const double peak_mib = number_at(*row, "abundant_peak_committed_mib");
    if (!std::isfinite(peak_mib) || peak_mib <= 0) continue;
    LineSeries series{mode_of(*row), sample_points(*row, 2, 1 / (peak_mib * kBytesPerMiB)), replay_color(*row),
                      false};
    for (const Point& p : series.points) {
      first_t = std::isfinite(first_t) ? std::min(first_t, p.x) : p.x;
      last_t = std::isfinite(last_t) ? std::max(last_t, p.x) : p.x;
    }
    chart.series.push_back(std::move(series));
  }
  const double budget = number_at(*budgeted.front(), "budget_mib");
  const double peak_mib = number_at(*budgeted.front(), "abundant_peak_committed_mib");
  if (std::isfinite(first_t) && std::isfinite(budget) && std::isfinite(peak_mib) && peak_mib > 0) {
    const double level = budget / peak_mib;
    chart.series.push_back(LineSeries{"budget", {{first_t, level}, {last_t, level}}, kBudgetColor, true});
  }
  return chart;
}

// One bar per row for each function (the categories, in the order the rows
// first name them): the functions' `key`.
BarChart bars_by_function(const std::vector<const Json*>& rows, ChartFrame frame, const char* key) {
  BarChart chart;
  chart.frame = std::move(frame);
  // Per row, its functions by name.
  std::vector<std::map<std::string, double>> values(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Json* functions = array_at(*rows[r], "functions");
    if (functions == nullptr) continue;
    for (const Json& f : *functions) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) continue;
      const std::string function = f["name"].get<std::string>();
      if (std::find(chart.categories.begin(), chart.categories.end(), function) == chart.categories.end()) {
        chart.categories.push_back(function);
      }
      values[r].emplace(function, number_at(f, key));
    }
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    BarSeries series{mode_of(*rows[r]), {}, replay_color(*rows[r])};
    for (const std::string& function : chart.categories) {
      const auto it = values[r].find(function);
      series.values.push_back(it != values[r].end() ? it->second : kNaN);
    }
    chart.series.push_back(std::move(series));
  }
  return chart;
}

// The abundant runs: footprint over time and the latency distribution; the
// budgeted runs: committed memory against the budget and each function's
// P99 against its abundant P99 (the paper's Fig. 10).
std::vector<Chart> replay_charts(const ResultFile& file, const std::string& experiment) {
  LineChart footprint;
  footprint.frame = ChartFrame{experiment, "Host footprint over the replay (QEMU RSS, all function VMs)",
                               "time since the first arrival (s)", "QEMU RSS (MiB)"};
  LineChart cdf;
  cdf.frame = ChartFrame{experiment, "Invocation latency distribution (CDF)", "latency, queueing and cold start "
                         "included (ms, log scale)", "share of invocations (%)"};
  cdf.x_scale = ScaleKind::kLog2;
  for (const Json* row : replay_rows(file, true)) {
    footprint.series.push_back(LineSeries{mode_of(*row), sample_points(*row, 1, 1 / kBytesPerMiB), replay_color(*row),
                                          false});
    cdf.series.push_back(latency_cdf(*row));
  }
  std::vector<Chart> charts{footprint, cdf};
  const std::vector<const Json*> budgeted = replay_rows(file, false);
  if (budgeted.empty()) return charts;
  charts.push_back(committed_under_budget(budgeted, experiment));
  charts.push_back(bars_by_function(budgeted,
                                    bar_frame(experiment, "P99 under the budget, normalised to the abundant run",
                                              "P99 latency / abundant P99"),
                                    "p99_normalised"));
  return charts;
}

// --- chaos --------------------------------------------------------------------

// One row per run: its table says it all (the failures by reason, the fault
// log and the leftovers are lists in the row).
std::vector<Chart> no_charts(const ResultFile&, const std::string&) { return {}; }

// --- the kinds ------------------------------------------------------------

struct Kind {
  std::string_view benchmark;
  std::string_view heading;
  std::string_view description;
  std::vector<std::string> columns;
  std::vector<Chart> (*charts)(const ResultFile&, const std::string&);
};

const std::vector<Kind>& kinds() {
  static const std::vector<std::string> reclaim_columns{
      "mode",        "init_on_alloc",  "utilization",        "instances_running",     "reclaim_mib",  "reclaim_ms",
      "reclaim_ms_all", "migrated_pages", "migrated_pages_all", "host_rss_released_mib", "guest_cpu_ms", "host_cpu_ms"};
  static const std::vector<Kind> kKinds{
      {"reclaim", "reclaim latency per mode",
       "How long each memory mode takes to give the memory of ended instances back to the host (from setting a "
       "device's requested size to QEMU reporting it reached), with the pages migrated and the CPU spent on the way.",
       reclaim_columns, reclaim_charts},
      {"sizes", "reclaim latency against the size reclaimed",
       "Reclaim latency per memory mode and guest zeroing setting as the memory reclaimed at once grows, at one "
       "utilisation.",
       reclaim_columns, reclaim_charts},
      {"utilization", "reclaim latency against utilisation",
       "Reclaim latency per memory mode as the share of the VM's instance memory in use before the reclaim grows, "
       "for one reclaimed size.",
       reclaim_columns, reclaim_charts},
      {"cpu", "CPU cost of reclaim",
       "CPU time the guest and QEMU's threads spend per GiB reclaimed, over repeated reclaims, per memory mode.",
       {"mode", "init_on_alloc", "reclaims", "reclaimed_mib", "guest_cpu_ms", "guest_cpu_ms_per_vcpu", "host_cpu_ms",
        "guest_cpu_ms_per_gib", "host_cpu_ms_per_gib"},
       cpu_charts},
      {"interference", "interference with a running neighbour",
       "Request latency of a latency-sensitive instance with nothing else going on, and while the memory of another "
       "instance is reclaimed beside it.",
       {"mode", "init_on_alloc", "idle_p50_ms", "idle_p99_ms", "idle_samples", "reclaim_p50_ms", "reclaim_p99_ms",
        "reclaim_samples", "p99_ratio", "reclaim_ms"},
       interference_charts},
      {"colocation", "two functions in one VM: serving while the other is evicted",
       "One VM with 2 vCPUs holds two functions' instances: some serve a CPU- and memory-bound request in a closed "
       "loop, the others hold their memory; after a steady stretch all the others are evicted at once (stopped, "
       "their memory reclaimed by the mode). The serving instances' mean request latency per second, timed in the "
       "guest; worst_after_ratio is the worst second after the eviction against the mean before it, "
       "before_worst_ratio the same for the worst second before it (the noise).",
       {"mode", "evictions", "before_mean_ms", "worst_after_ms", "worst_after_ratio", "before_worst_ratio",
        "worst_after_ratio_all", "reclaim_ms", "retire_ms", "migrated_pages", "guest_cpu_ms", "per_second_ms",
        "per_second_requests", "first_second"},
       colocation_charts},
      {"plug", "instance start with memory plug",
       "Cold-start time of an instance per memory mode, from asking for it to it being ready, and the part of it "
       "spent plugging the instance's memory; medians and quartiles over starts that took turns between the modes, "
       "the overhead over static as the median of paired differences (the same round).",
       {"mode", "init_on_alloc", "starts", "plug_ms", "plug_ms_p25", "plug_ms_p75", "start_ms", "start_ms_p25",
        "start_ms_p75", "overhead_vs_static_ms", "overhead_vs_static_ms_p25", "overhead_vs_static_ms_p75",
        "plug_ms_all", "start_ms_all"},
       plug_charts},
      {"scale", "many partitions in one VM",
       "One hotmem VM with many partitions, every one plugged and running an instance; k instances end and their "
       "partitions are reclaimed at once (latency, guest CPU, pages migrated), then k fresh instances plug them "
       "again (re-plug latency, against the plugs of the fill on the fresh VM).",
       {"partitions", "reclaim_partitions", "reclaim_ms", "reclaim_ms_all", "vs_one", "reclaim_ms_per_partition",
        "guest_cpu_ms", "migrated_pages", "replug_ms", "replug_ms_max", "fresh_plug_ms", "fresh_plug_ms_max",
        "replug_vs_fresh", "boot_ms", "boot_memory_mib", "fill_s"},
       scale_charts},
      {"floor", "hotmem's reclaim against the mechanism's floor",
       "In one hotmem VM, per size: (a) unplugging memory plugged for no instance and never touched, through the same "
       "path as (b) (the floor; the driver's unplug, or in a zeroing guest offline, then unplug); (b) hotmem's reclaim of the "
       "partitions of instances that touched their memory and just ended; (c) the part of (b) spent on the devices "
       "alone, after any offlining. The variants took turns with the same neighbours running; ratio_vs_floor is "
       "(b)/(a) of the medians.",
       {"reclaim_mib", "instances_running", "unused_ms", "reclaim_ms", "device_ms", "unused_device_ms",
        "ratio_vs_floor", "device_ratio_vs_floor", "unused_migrated_pages", "migrated_pages", "unused_unplugged_mib",
        "unplugged_mib", "unused_ms_p25", "unused_ms_p75", "reclaim_ms_p25", "reclaim_ms_p75", "unused_ms_all",
        "reclaim_ms_all", "device_ms_all"},
       floor_charts},
      {"one-to-one", "N:1 against 1:1: cold start and memory per instance",
       "For a native and a Python function: a cold start in the N:1 model (the instance's memory plugged into a "
       "running VM that already serves the function) against one in the 1:1 model (a VM of 1 vCPU booted for the "
       "instance with its memory), broken down into the VMM's part (1:1: boot; N:1: plug), the sandbox start, the "
       "function's /init and its first run, timed on the host; and the memory per instance: a 1:1 VM's QEMU RSS "
       "against what one more instance added to the N:1 VM's RSS. The models took turns; the N:1 rows' *_ratio "
       "columns are N:1 over 1:1 of the medians (the paper's Fig. 11).",
       {"runtime", "model", "mode", "starts", "vmm", "vmm_ms", "sandbox_ms", "init_ms", "exec_ms", "cold_start_ms",
        "cold_start_ms_p25", "cold_start_ms_p75", "memory_per_instance_mib", "cold_start_ratio",
        "memory_per_instance_ratio", "vmm_ratio", "sandbox_ratio", "init_ratio", "exec_ratio", "idle_vm_rss_mib",
        "boot_memory_mib", "vcpus", "cold_start_ms_all", "memory_per_instance_mib_all"},
       one_to_one_charts},
      {"replay", "the Azure-derived trace replayed per mode",
       "Invocations of the busiest trace functions, scaled to this machine, against one VM per function; latency "
       "includes queueing and cold starts; the footprints integrate the memory the VMs commit and the QEMU "
       "processes' RSS over the replay. Rows with budget_mib above 0 ran with the VMs sharing a host memory budget "
       "(hotmem serve --memory-budget), scale ups evicting idle instances or waiting for memory; their P99 is "
       "normalised to the same memory mode's abundant run (the paper's Fig. 10).",
       {"mode", "budget_mib", "answered", "failed", "cold_starts", "evictions", "p50_ms", "p99_ms",
        "p99_normalised_geomean", "memory_waits", "memory_wait_s", "accounted_gib_s", "footprint_gib_s",
        "peak_committed_mib", "migrated_pages", "reclaim_mib_per_s"},
       replay_charts},
      {"chaos", "faults on purpose: failures, recoveries, leaks",
       "Two functions invoked in a loop through the daemon's API while their QEMU is killed, their guest agent goes "
       "silent and an instance fills its partition past its limit, one fault at a time, drawn from a seed. Every "
       "failed invocation should carry the daemon's reason, every failed VM serve again (recovery_s: from the fault "
       "to the first successful invocation sent after it), and nothing be left on the host after shutdown.",
       {"mode", "minutes", "seed", "invocations", "answered", "failed", "failed_without_reason", "faults",
        "faults_kill_qemu", "faults_silent_agent", "faults_oom", "vm_faults", "vms_recovered", "not_recovered",
        "recovery_s_median", "recovery_s_worst", "qemu_left", "cgroups_left", "run_dirs_left"},
       no_charts},
  };
  return kKinds;
}

const Kind* find_kind(std::string_view benchmark) {
  for (const Kind& kind : kinds()) {
    if (kind.benchmark == benchmark) return &kind;
  }
  return nullptr;
}

bool chart_has_data(const Chart& chart) {
  return std::visit([](const auto& c) { return has_data(c); }, chart);
}

}  // namespace

ExperimentView view_experiment(const ResultFile& file, const std::string& experiment) {
  ExperimentView view;
  const Kind* kind = find_kind(file.benchmark);
  if (kind == nullptr) {
    view.heading = file.benchmark;
    view.description = fmt::format("Results of the '{}' benchmark, which this report has no plot for: the rows as "
                                   "they were recorded.",
                                   file.benchmark);
    view.columns = preferred_columns(file.benchmark);
    return view;
  }
  view.heading = fmt::format("{}: {}", kind->benchmark, kind->heading);
  view.description = std::string(kind->description);
  view.columns = kind->columns;
  for (Chart& chart : kind->charts(file, experiment)) {
    if (chart_has_data(chart)) view.charts.push_back(std::move(chart));
  }
  return view;
}

std::vector<std::string> preferred_columns(std::string_view benchmark) {
  const Kind* kind = find_kind(benchmark);
  return kind != nullptr ? kind->columns : std::vector<std::string>{"mode", "init_on_alloc"};
}

int experiment_order(std::string_view benchmark) {
  const auto& all = kinds();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].benchmark == benchmark) return static_cast<int>(i);
  }
  return static_cast<int>(all.size());
}

}  // namespace hotmem::report

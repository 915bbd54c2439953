#include "report/report.h"

#include <algorithm>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "report/csv.h"
#include "report/experiments.h"
#include "report/results_table.h"
#include "report/xml.h"

namespace hotmem::report {
namespace {

constexpr std::string_view kHowToGetResults = "run `hotmem bench all --quick` first";

constexpr std::string_view kStyle = R"(
body { font-family: sans-serif; color: #222; line-height: 1.45; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 2.2em; padding-bottom: .2em; border-bottom: 1px solid #ddd; }
.meta, .host, .config { color: #555; font-size: .9em; margin: .3em 0; }
.config code, .meta code { background: #f4f4f4; padding: 0 .2em; }
.warnings { background: #fff6e0; border: 1px solid #e6c36a; padding: .5em 1em; }
nav ul { padding-left: 1.2em; }
svg.plot { display: block; max-width: 100%; height: auto; margin: 1em 0; }
.table-wrap { overflow-x: auto; }
table.results { border-collapse: collapse; font-size: .85em; margin: .5em 0; }
table.results th, table.results td { border: 1px solid #ddd; padding: .25em .55em; text-align: left; vertical-align: top;
  white-space: nowrap; }
table.results th { background: #f4f4f4; font-weight: 600; }
table.results td.num { text-align: right; font-variant-numeric: tabular-nums; }
.no-plot { color: #777; font-style: italic; }
)";

// Counts the charts the browser really drew: an svg.plot with a non-empty
// box holding at least one data mark (line, marker or bar) with extent.
constexpr std::string_view kRenderCheck = R"(
window.addEventListener('load', function () {
  var plots = document.querySelectorAll('svg.plot');
  var rendered = 0;
  plots.forEach(function (svg) {
    var box;
    try { box = svg.getBBox(); } catch (e) { box = svg.getBoundingClientRect(); }
    if (!(box.width > 0 && box.height > 0)) return;
    var marks = svg.querySelectorAll('path.data, polyline.data, rect.data, circle.data');
    for (var i = 0; i < marks.length; i++) {
      var b = marks[i].getBBox();
      if (b.width > 0 || b.height > 0) { rendered++; return; }
    }
  });
  document.body.dataset.plotsRendered = String(rendered);
  document.body.dataset.plotsTotal = String(plots.length);
});
)";

// A benchmark name as a file name and HTML id: letters, digits, '-', '_'.
std::string slug(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    out += plain ? c : '_';
  }
  return out.empty() ? "_" : out;
}

std::string value_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return cell_text(value);
}

// "tcg, 2 CPUs, Intel Xeon ..., kernel 6.1.0, 2025-01-01T00:00:00Z".
std::string host_line(const Json& host) {
  std::vector<std::string> parts;
  const auto add = [&host, &parts](const char* key, std::string_view prefix, std::string_view suffix) {
    const auto it = host.find(key);
    if (it != host.end() && !it->is_null()) parts.push_back(std::string(prefix) + value_text(*it) + std::string(suffix));
  };
  add("accel", "", "");
  add("cpus", "", " CPUs");
  add("cpu_model", "", "");
  add("kernel", "kernel ", "");
  add("date", "", "");
  if (parts.empty()) return "not recorded";
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

std::string config_html(const Json& config) {
  if (config.empty()) return "not recorded";
  std::string out;
  for (const auto& [key, value] : config.items()) {
    if (!out.empty()) out += "; ";
    out += fmt::format("<code>{}</code> {}", xml_escape(key), xml_escape(value_text(value)));
  }
  return out;
}

struct Section {
  const ResultFile* file;
  std::string id;            // unique among sections
  bool shares_kind = false;  // another file holds the same benchmark
};

// The section's heading; the file name tells apart files of one benchmark.
std::string heading_of(const Section& section, const ExperimentView& view) {
  if (!section.shares_kind) return view.heading;
  return fmt::format("{} ({})", view.heading, section.file->path.filename().string());
}

// Known kinds in the format document's order, then the rest; ties by path.
std::vector<Section> sections_of(const ResultSet& results) {
  std::vector<const ResultFile*> files;
  for (const ResultFile& f : results.files) files.push_back(&f);
  std::stable_sort(files.begin(), files.end(), [](const ResultFile* a, const ResultFile* b) {
    const int oa = experiment_order(a->benchmark);
    const int ob = experiment_order(b->benchmark);
    if (oa != ob) return oa < ob;
    if (a->benchmark != b->benchmark) return a->benchmark < b->benchmark;
    return a->path < b->path;
  });
  std::map<std::string, int> per_slug;
  for (const ResultFile* f : files) ++per_slug[slug(f->benchmark)];
  std::vector<Section> sections;
  std::map<std::string, int> seen;
  for (const ResultFile* f : files) {
    const std::string base = slug(f->benchmark);
    const int n = ++seen[base];
    sections.push_back({f, n == 1 ? base : fmt::format("{}-{}", base, n), per_slug[base] > 1});
  }
  return sections;
}

std::string section_html(const Section& section, const ExperimentView& view, int& plots) {
  const ResultFile& file = *section.file;
  std::string out = fmt::format("<section class=\"experiment\" id=\"exp-{}\">\n<h2>{}</h2>\n", section.id,
                                xml_escape(heading_of(section, view)));
  out += fmt::format("<p class=\"what\">{}</p>\n", xml_escape(view.description));
  out += fmt::format("<p class=\"host\">Host: {}. From <code>{}</code>, {} rows; CSV: <a href=\"{}.csv\">{}.csv</a>.</p>\n",
                     xml_escape(host_line(file.host)), xml_escape(file.path.filename().string()), file.rows.size(),
                     slug(file.benchmark), slug(file.benchmark));
  out += fmt::format("<p class=\"config\">Config: {}</p>\n", config_html(file.config));
  for (const Chart& chart : view.charts) {
    out += std::visit([](const auto& c) { return render_svg(c); }, chart);
    ++plots;
  }
  if (view.charts.empty()) {
    out += file.rows.empty() ? "<p class=\"no-plot\">No results in this file.</p>\n"
                             : "<p class=\"no-plot\">No plot for this benchmark; its rows follow.</p>\n";
  }
  std::vector<const Json*> rows;
  for (const Json& row : file.rows) rows.push_back(&row);
  out += "<div class=\"table-wrap\">\n" + html_table(file.rows, table_columns(rows, view.columns)) + "</div>\n";
  return out + "</section>\n";
}

// One CSV per benchmark, holding the rows of all its files; a leading "file"
// column tells them apart when there is more than one.
std::vector<CsvFile> csv_files(const std::vector<Section>& sections) {
  std::map<std::string, std::vector<const ResultFile*>> by_name;
  std::vector<std::string> names;  // in section order
  for (const Section& s : sections) {
    const std::string name = slug(s.file->benchmark) + ".csv";
    if (!by_name.contains(name)) names.push_back(name);
    by_name[name].push_back(s.file);
  }
  std::vector<CsvFile> out;
  for (const std::string& name : names) {
    const auto& files = by_name[name];
    std::vector<const Json*> rows;
    for (const ResultFile* f : files) {
      for (const Json& row : f->rows) rows.push_back(&row);
    }
    const std::vector<std::string> columns = table_columns(rows, preferred_columns(files.front()->benchmark));
    const bool with_file = files.size() > 1;
    std::vector<std::string> header = columns;
    if (with_file) header.insert(header.begin(), "file");
    std::string text = csv_line(header);
    for (const ResultFile* f : files) {
      for (const Json& row : f->rows) {
        std::vector<std::string> fields;
        if (with_file) fields.push_back(f->path.filename().string());
        for (const std::string& column : columns) {
          const auto it = row.find(column);
          fields.push_back(it == row.end() ? "" : csv_cell(*it));
        }
        text += csv_line(fields);
      }
    }
    out.push_back({name, std::move(text)});
  }
  return out;
}

// Writes beside the target and renames, so a reader never sees half a file.
Status write_file(const std::filesystem::path& path, std::string_view text) {
  const std::filesystem::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) return Error(fmt::format("cannot write {}", partial.string()));
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) return Error(fmt::format("cannot rename {} to {}: {}", partial.string(), path.string(), ec.message()));
  return ok_status();
}

}  // namespace

Report build_report(const ResultSet& results, const std::string& source) {
  Report report;
  const std::vector<Section> sections = sections_of(results);
  std::string body;
  std::string contents;
  for (const Section& section : sections) {
    const ExperimentView view = view_experiment(*section.file, section.id);
    contents += fmt::format("<li><a href=\"#exp-{}\">{}</a></li>\n", section.id, xml_escape(heading_of(section, view)));
    body += section_html(section, view, report.plots);
  }
  report.experiments = static_cast<int>(sections.size());
  report.csv_files = csv_files(sections);

  std::string warnings;
  if (!results.warnings.empty()) {
    warnings = "<div class=\"warnings\"><p>Skipped:</p>\n<ul>\n";
    for (const std::string& w : results.warnings) warnings += fmt::format("<li>{}</li>\n", xml_escape(w));
    warnings += "</ul></div>\n";
  }
  report.html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>HotMem benchmark report</title>\n<style>{}</style>\n</head>\n"
      "<body data-plots-expected=\"{}\">\n<h1>HotMem benchmark report</h1>\n"
      "<p class=\"meta\">{} experiments from <code>{}</code>. Times are milliseconds, sizes MiB; compare modes as "
      "ratios within one run. Each table's rows are also in a CSV file beside this page.</p>\n"
      "{}<nav><ul>\n{}</ul></nav>\n{}<script>{}</script>\n</body>\n</html>\n",
      kStyle, report.plots, report.experiments, xml_escape(source), warnings, contents, body, kRenderCheck);
  return report;
}

Result<WrittenReport> write_report(const ReportOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(options.results_dir, ec)) {
    return Error(fmt::format("no results directory {}: {}", options.results_dir.string(), kHowToGetResults));
  }
  auto results = load_result_files(options.results_dir);
  if (!results) return results.error();
  if (results->files.empty()) {
    return Error(
        fmt::format("{} holds no benchmark results: {}", options.results_dir.string(), kHowToGetResults));
  }
  const Report report = build_report(*results, options.results_dir.string());

  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", options.out_dir.string(), ec.message()));
  WrittenReport written;
  for (const CsvFile& csv : report.csv_files) {
    const auto path = options.out_dir / csv.name;
    if (Status s = write_file(path, csv.text); !s) return s.error();
    written.csv_files.push_back(path);
  }
  written.html = options.out_dir / "report.html";
  if (Status s = write_file(written.html, report.html); !s) return s.error();
  written.warnings = std::move(results->warnings);
  written.experiments = report.experiments;
  written.plots = report.plots;
  return written;
}

}  // namespace hotmem::report

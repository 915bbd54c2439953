// Test helper (unit and e2e tests only): opens the dashboard of a running
// daemon (GET /) in headless Chromium, lets its script poll the API for a
// few seconds of virtual time and reads what it drew: the DOM after the
// scripts ran (partition cells' data-state, the charts' paths and their
// data-points) and, if asked, a screenshot, decoded to count its colours.
// Needs /usr/bin/chromium (./scripts/setup installs it) and zlib.
#pragma once

#include <sys/wait.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "common/proc_stats.h"
#include "common/process.h"
#include "common/result.h"

namespace hotmem::serve::testing {

inline constexpr const char* kDashboardChromium = "/usr/bin/chromium";

// A chart's drawn series: its class (e.g. "series committed") and how many
// points its path has.
struct DashboardSeries {
  std::string klass;
  int points = 0;
};

struct DashboardView {
  std::string dom;                       // the page after its scripts ran
  int polls = 0;                         // <body data-polls>: polls the API answered
  std::string error;                     // <body data-error>: the last poll's error
  std::map<std::string, int> cells;      // partition cells by data-state
  int instance_rows = 0;                 // rows of the instances tables
  std::vector<DashboardSeries> memory;   // #chart-memory's series
  std::vector<DashboardSeries> latency;  // #chart-latency's series
  std::size_t screenshot_colours = 0;    // distinct colours in the screenshot (counting stops at 4096)
};

namespace dashboard_detail {

// The value of `name` in one tag's text, or "" if absent.
inline std::string attribute_of(const std::string& tag, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const auto at = tag.find(key);
  if (at == std::string::npos) return "";
  const auto start = at + key.size();
  return tag.substr(start, tag.find('"', start) - start);
}

// Every start tag `<name ...>` in `text`.
inline std::vector<std::string> tags_named(const std::string& text, const std::string& name) {
  std::vector<std::string> tags;
  const std::string open = "<" + name + " ";
  for (auto at = text.find(open); at != std::string::npos; at = text.find(open, at + 1)) {
    tags.push_back(text.substr(at, text.find('>', at) - at + 1));
  }
  return tags;
}

// The series (paths with data-points) of the <svg id="...">.
inline std::vector<DashboardSeries> series_of(const std::string& dom, const std::string& svg_id) {
  std::vector<DashboardSeries> out;
  const auto start = dom.find("id=\"" + svg_id + "\"");
  if (start == std::string::npos) return out;
  const std::string svg = dom.substr(start, dom.find("</svg>", start) - start);
  for (const std::string& path : tags_named(svg, "path")) {
    const std::string points = attribute_of(path, "data-points");
    if (points.empty()) continue;
    out.push_back(DashboardSeries{attribute_of(path, "class"), std::stoi(points)});
  }
  return out;
}

inline std::uint32_t big_endian32(const unsigned char* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | std::uint32_t{p[3]};
}

// The distinct colours of an 8-bit RGB or RGBA, non-interlaced PNG (what
// Chromium writes), counted up to `cap`.
inline Result<std::size_t> png_colours(const std::filesystem::path& file, std::size_t cap) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<unsigned char> png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (png.size() < 8 || !std::equal(std::begin(kSignature), std::end(kSignature), png.begin())) {
    return Error(fmt::format("{} is not a PNG ({} bytes)", file.string(), png.size()));
  }
  std::uint32_t width = 0, height = 0;
  int channels = 0;
  std::vector<unsigned char> compressed;
  for (std::size_t at = 8; at + 12 <= png.size();) {
    const std::uint32_t length = big_endian32(&png[at]);
    const std::string type(png.begin() + static_cast<std::ptrdiff_t>(at + 4), png.begin() + static_cast<std::ptrdiff_t>(at + 8));
    if (at + 12 + length > png.size()) return Error("a PNG chunk runs past the file's end");
    const unsigned char* data = &png[at + 8];
    if (type == "IHDR") {
      width = big_endian32(data);
      height = big_endian32(data + 4);
      const int depth = data[8], colour_type = data[9], interlace = data[12];
      if (depth != 8 || (colour_type != 2 && colour_type != 6) || interlace != 0) {
        return Error(fmt::format("PNG of depth {}, colour type {}, interlace {}: not decoded here", depth,
                                 colour_type, interlace));
      }
      channels = colour_type == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      compressed.insert(compressed.end(), data, data + length);
    }
    at += 12 + length;
  }
  if (width == 0 || height == 0 || compressed.empty()) return Error("a PNG without IHDR or IDAT");
  const std::size_t stride = std::size_t{width} * static_cast<std::size_t>(channels);
  std::vector<unsigned char> raw(std::size_t{height} * (stride + 1));
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, compressed.data(), compressed.size()) != Z_OK || raw_size != raw.size()) {
    return Error("the PNG's image data does not inflate to its size");
  }
  // Undo each row's filter (PNG spec, section 9) into `rows`, then count.
  std::vector<unsigned char> rows(std::size_t{height} * stride);
  std::unordered_set<std::uint32_t> colours;
  for (std::size_t y = 0; y < height; ++y) {
    const unsigned char filter = raw[y * (stride + 1)];
    const unsigned char* line = &raw[y * (stride + 1) + 1];
    unsigned char* out = &rows[y * stride];
    const unsigned char* up = y > 0 ? &rows[(y - 1) * stride] : nullptr;
    for (std::size_t i = 0; i < stride; ++i) {
      const int a = i >= static_cast<std::size_t>(channels) ? out[i - static_cast<std::size_t>(channels)] : 0;
      const int b = up ? up[i] : 0;
      const int c = up && i >= static_cast<std::size_t>(channels) ? up[i - static_cast<std::size_t>(channels)] : 0;
      int predicted = 0;
      switch (filter) {
        case 0: predicted = 0; break;
        case 1: predicted = a; break;
        case 2: predicted = b; break;
        case 3: predicted = (a + b) / 2; break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: return Error(fmt::format("PNG row {} has filter {}", y, filter));
      }
      out[i] = static_cast<unsigned char>(line[i] + predicted);
    }
    for (std::size_t x = 0; x < width && colours.size() < cap; ++x) {
      const unsigned char* px = out + x * static_cast<std::size_t>(channels);
      colours.insert(std::uint32_t{px[0]} << 16 | std::uint32_t{px[1]} << 8 | px[2]);
    }
  }
  return colours.size();
}

// Runs Chromium headless on `url` with `what` (e.g. --dump-dom), scratch
// files in `work_dir`; returns its stdout.
inline Result<std::string> run_chromium(const std::string& url, const std::vector<std::string>& what,
                                        const std::filesystem::path& work_dir, const std::string& tag) {
  namespace fs = std::filesystem;
  const fs::path profile = work_dir / ("chromium-profile-" + tag);
  fs::create_directories(profile);
  SpawnOptions options;
  options.argv = {kDashboardChromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile.string(),
                  // Virtual time runs the page's 1 s poll timer at once; it
                  // stands still while a fetch is answered, so every poll
                  // really reaches the daemon: 4 s make about 4 polls.
                  "--virtual-time-budget=4000"};
  options.argv.insert(options.argv.end(), what.begin(), what.end());
  options.argv.push_back(url);
  options.output = work_dir / (tag + ".out");
  options.error_output = work_dir / (tag + ".log");
  auto chromium = ChildProcess::spawn(options);
  if (!chromium) return chromium.error();
  auto status = chromium->wait_for(std::chrono::seconds(120));
  if (!status) {
    chromium->terminate();
    return Error(fmt::format("chromium ({}) did not finish: {}\n{}", tag, status.error().message(),
                             tail_of_file(options.error_output)));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return Error(fmt::format("chromium ({}) {}:\n{}", tag, describe_wait_status(*status),
                             tail_of_file(options.error_output)));
  }
  return tail_of_file(options.output, 16 << 20);
}

}  // namespace dashboard_detail

// Loads the dashboard at `url` to dump its DOM and, with `screenshot`,
// again for a screenshot of `window` pixels.
inline Result<DashboardView> view_dashboard(const std::string& url, const std::filesystem::path& work_dir,
                                            bool screenshot = true, const std::string& window = "1280,1000") {
  namespace fs = std::filesystem;
  using namespace dashboard_detail;
  if (!fs::exists(kDashboardChromium)) {
    return Error(fmt::format("{} is missing: run ./scripts/setup (it installs chromium for the dashboard's test)",
                             kDashboardChromium));
  }
  fs::create_directories(work_dir);
  DashboardView view;
  auto dom = run_chromium(url, {"--dump-dom"}, work_dir, "dom");
  if (!dom) return dom.error();
  view.dom = std::move(*dom);
  const auto body_tags = tags_named(view.dom, "body");
  if (body_tags.empty()) return Error("no <body> in the dumped DOM:\n" + view.dom.substr(0, 2000));
  const std::string polls = attribute_of(body_tags.front(), "data-polls");
  view.polls = polls.empty() ? 0 : std::stoi(polls);
  view.error = attribute_of(body_tags.front(), "data-error");
  for (const std::string& div : tags_named(view.dom, "div")) {
    if (attribute_of(div, "class") == "cell") ++view.cells[attribute_of(div, "data-state")];
  }
  for (const std::string& tr : tags_named(view.dom, "tr")) view.instance_rows += !attribute_of(tr, "data-instance").empty();
  view.memory = series_of(view.dom, "chart-memory");
  view.latency = series_of(view.dom, "chart-latency");

  if (!screenshot) return view;
  const fs::path shot = work_dir / "dashboard.png";
  auto shot_taken = run_chromium(url, {"--window-size=" + window, "--screenshot=" + shot.string()}, work_dir, "shot");
  if (!shot_taken) return shot_taken.error();
  auto colours = png_colours(shot, 4096);
  if (!colours) return colours.error();
  view.screenshot_colours = *colours;
  return view;
}

}  // namespace hotmem::serve::testing

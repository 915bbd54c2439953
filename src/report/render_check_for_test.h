// Test helper: loads a report in headless Chromium (nothing but the file:
// the page fetches nothing), lets its inline render check run and reads what
// it wrote on <body>: how many plots the page has and how many were drawn
// with data in them. Needs /usr/bin/chromium, which ./scripts/setup installs.
#pragma once

#include <sys/wait.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "common/proc_stats.h"
#include "common/process.h"
#include "common/result.h"

namespace hotmem::report::testing {

inline constexpr const char* kChromium = "/usr/bin/chromium";

struct RenderCheck {
  std::string expected;  // data-plots-expected: plots the report generator wrote
  std::string total;     // data-plots-total: svg.plot elements the browser found
  std::string rendered;  // data-plots-rendered: of those, drawn with data
};

// The value of `attribute` on the dumped page's <body>, or "" if absent.
inline std::string body_attribute(const std::string& dom, const std::string& attribute) {
  const auto body = dom.find("<body");
  if (body == std::string::npos) return "";
  const std::string tag = dom.substr(body, dom.find('>', body) - body);
  const auto at = tag.find(" " + attribute + "=\"");
  if (at == std::string::npos) return "";
  const auto start = at + attribute.size() + 3;
  return tag.substr(start, tag.find('"', start) - start);
}

// Renders `html` with scratch files in `work_dir`.
inline Result<RenderCheck> render_in_chromium(const std::filesystem::path& html, const std::filesystem::path& work_dir) {
  namespace fs = std::filesystem;
  if (!fs::exists(kChromium)) {
    return Error(fmt::format("{} is missing: run ./scripts/setup (it installs the chromium package the report's "
                             "render test needs)",
                             kChromium));
  }
  const fs::path profile = work_dir / "chromium-profile";
  fs::create_directories(profile);
  SpawnOptions options;
  options.argv = {kChromium,
                  "--headless",
                  "--no-sandbox",
                  "--disable-gpu",
                  "--disable-quic",
                  "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update",
                  "--disable-sync",
                  "--user-data-dir=" + profile.string(),
                  "--virtual-time-budget=5000",
                  "--dump-dom",
                  "file://" + fs::absolute(html).string()};
  options.output = work_dir / "dom.html";
  options.error_output = work_dir / "chromium.log";
  auto chromium = ChildProcess::spawn(options);
  if (!chromium) return chromium.error();
  auto status = chromium->wait_for(std::chrono::seconds(90));
  if (!status) {
    chromium->terminate();
    return Error(fmt::format("chromium did not finish: {}\n{}", status.error().message(),
                             tail_of_file(options.error_output)));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return Error(fmt::format("chromium {}:\n{}", describe_wait_status(*status), tail_of_file(options.error_output)));
  }
  const std::string dom = tail_of_file(options.output, 16 << 20);
  if (dom.find("<body") == std::string::npos) {
    return Error("no DOM dumped; chromium said:\n" + tail_of_file(options.error_output));
  }
  return RenderCheck{body_attribute(dom, "data-plots-expected"), body_attribute(dom, "data-plots-total"),
                     body_attribute(dom, "data-plots-rendered")};
}

}  // namespace hotmem::report::testing

#include "replay/trace.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace hotmem::replay {

using nlohmann::json;

std::uint64_t TraceFunction::invocations() const {
  std::uint64_t n = 0;
  for (auto c : per_minute) n += c;
  return n;
}

std::uint64_t Trace::invocations() const {
  std::uint64_t n = 0;
  for (const auto& f : functions) n += f.invocations();
  return n;
}

Result<std::vector<std::string>> split_csv_record(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      if (!fields.back().empty()) return Error(fmt::format("a quote inside an unquoted field at column {}", i + 1));
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return Error("a quoted field is not closed");
  return fields;
}

std::string bench_family(std::string_view bench) {
  const auto dash = bench.rfind('-');
  if (dash == std::string_view::npos) return std::string(bench);
  const std::string_view tail = bench.substr(dash + 1);
  const bool hash = !tail.empty() && tail.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  return std::string(hash ? bench.substr(0, dash) : bench);
}

namespace {

Result<double> number(const std::string& text, std::string_view what) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) {
    return Error(fmt::format("{} '{}' is not a non-negative number", what, text));
  }
  return v;
}

}  // namespace

Result<Trace> parse_trace(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line)) return Error("the trace is empty");
  auto header = split_csv_record(line);
  if (!header) return header.error().context("header");
  if (header->size() < 3 || (*header)[0] != "avg" || (*header)[1] != "mapped_wreq") {
    return Error("the header must be avg,mapped_wreq,<one column per minute>");
  }
  Trace trace;
  trace.minutes = header->size() - 2;
  std::size_t row = 1;
  while (std::getline(in, line)) {
    ++row;
    if (line.empty() || line == "\r") continue;
    auto fields = split_csv_record(line);
    auto where = [row](const Error& e) { return e.context(fmt::format("trace line {}", row)); };
    if (!fields) return where(fields.error());
    if (fields->size() != header->size()) {
      return where(Error(fmt::format("{} fields, the header has {}", fields->size(), header->size())));
    }
    TraceFunction f;
    auto avg = number((*fields)[0], "avg");
    if (!avg) return where(avg.error());
    f.mean_ms = *avg;
    const json mapped = json::parse((*fields)[1], nullptr, false);
    if (!mapped.is_object() || !mapped.contains("bench") || !mapped["bench"].is_string()) {
      return where(Error("mapped_wreq must be a JSON object with a \"bench\" string"));
    }
    f.bench = bench_family(mapped["bench"].get<std::string>());
    if (mapped.contains("mean") && mapped["mean"].is_number()) f.mean_ms = mapped["mean"].get<double>();
    if (mapped.contains("payload") && mapped["payload"].is_string()) {
      json payload = json::parse(mapped["payload"].get<std::string>(), nullptr, false);
      if (payload.is_object()) f.payload = std::move(payload);
    }
    for (std::size_t i = 2; i < fields->size(); ++i) {
      auto count = number((*fields)[i], "invocations per minute");
      if (!count) return where(count.error());
      f.per_minute.push_back(static_cast<std::uint64_t>(*count));
    }
    trace.functions.push_back(std::move(f));
  }
  if (trace.functions.empty()) return Error("the trace has no functions");
  return trace;
}

Result<Trace> load_trace(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Error(fmt::format("cannot read the trace {}", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  auto trace = parse_trace(text.str());
  if (!trace) return trace.error().context(path.string());
  return trace;
}

}  // namespace hotmem::replay

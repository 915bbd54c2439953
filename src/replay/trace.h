// The invocation trace `hotmem replay` plays back: per function, its mean
// duration, the FunctionBench benchmark it was mapped to (with a payload)
// and its invocations per minute. The format is FaaSRail's
// (../shared/data/azure_spec_15rps_5min.csv):
//
//   avg,mapped_wreq,<minute columns...>
//   1633,"{""mean"": 1624.0, ""bench"": ""video_processing-91bb6c6"", ""payload"": ""{...}""}",107,119,...
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hotmem::replay {

struct TraceFunction {
  double mean_ms = 0;
  std::string bench;    // the benchmark family, e.g. "image_rotate" (hash dropped)
  nlohmann::json payload = nlohmann::json::object();
  std::vector<std::uint64_t> per_minute;

  std::uint64_t invocations() const;
};

struct Trace {
  std::vector<TraceFunction> functions;
  std::size_t minutes = 0;
  std::uint64_t invocations() const;
};

// Splits one CSV record (RFC 4180 quoting: "" inside quotes is a quote).
Result<std::vector<std::string>> split_csv_record(std::string_view line);
Result<Trace> parse_trace(std::string_view text);
Result<Trace> load_trace(const std::filesystem::path& path);

// "image_rotate-2987f70faa3" -> "image_rotate"; names without a hash stay.
std::string bench_family(std::string_view bench);

}  // namespace hotmem::replay

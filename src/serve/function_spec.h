// A function as a client deploys it (`PUT /v1/functions/{name}`): what runs,
// how much memory an instance may use, how many run at once in its VM, the
// memory mode and how long an idle instance is kept. Everything from the
// client is checked here; the rest of the daemon trusts a FunctionSpec.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hotmem::serve {

using nlohmann::json;

struct FunctionSpec {
  std::string name;
  std::string runtime = "native";    // native | python
  std::vector<std::string> command;  // native: argv of an action server ($PORT)
  std::string code;                  // python: the action's source
  std::string main = "main";         // python: its entry point
  std::uint64_t memory_mib = 256;    // memory.max of one instance
  int concurrency = 4;               // instances per VM (N)
  int vcpus = 1;
  std::string mode = "hotmem";
  std::chrono::seconds keep_alive{120};

  json to_json() const;
};

inline constexpr std::uint64_t kMinMemoryMib = 32;
inline constexpr std::uint64_t kMaxMemoryMib = 16384;
inline constexpr int kMaxConcurrency = 64;
inline constexpr int kMaxVcpus = 16;
inline constexpr std::int64_t kMaxKeepAliveS = 24 * 3600;
inline constexpr std::size_t kMaxCodeBytes = 256 * 1024;

// Checks a deployment request; the error names the field and the range.
Result<FunctionSpec> parse_function_spec(std::string_view name, const json& body);

}  // namespace hotmem::serve

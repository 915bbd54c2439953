// A function as a client deploys it (`PUT /v1/functions/{name}`): what runs,
// how much memory an instance may use, its model (N:1: up to N instances in
// one VM; 1:1: one VM per instance, up to N VMs), the memory mode and how
// long an idle instance is kept. Everything from the
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
  bool binary = false;               // python: `code` is a base64 zip holding __main__.py
  std::uint64_t memory_mib = 256;    // memory.max of one instance
  std::string model = "N:1";         // kNToOne | kOneToOne
  int concurrency = 4;               // N:1: instances per VM (N); 1:1: VMs at once
  int vcpus = 1;                     // of its VM (1:1: 1)
  std::string mode = "hotmem";       // 1:1: "static" (the VM has all its memory from boot)
  std::chrono::seconds keep_alive{120};

  json to_json() const;
};

inline constexpr const char* kNToOne = "N:1";
inline constexpr const char* kOneToOne = "1:1";

inline constexpr std::uint64_t kMinMemoryMib = 32;
inline constexpr std::uint64_t kMaxMemoryMib = 16384;
inline constexpr int kMaxConcurrency = 64;
inline constexpr int kMaxVcpus = 16;
inline constexpr std::int64_t kMaxKeepAliveS = 24 * 3600;
inline constexpr std::size_t kMaxCodeBytes = 256 * 1024;

// Checks a deployment request; the error names the field and the range.
Result<FunctionSpec> parse_function_spec(std::string_view name, const json& body);

}  // namespace hotmem::serve

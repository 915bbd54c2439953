// Messages carried in frames: one JSON object each.
//
//   request   {"id": <u64>, "type": "<name>", "body": {...}}
//   response  {"id": <u64>, "ok": true,  "body": {...}}
//             {"id": <u64>, "ok": false, "error": "<what went wrong>"}
//
// Every field read from a peer goes through the checked accessors below, so a
// missing field, a wrong type or an out-of-range value is an Error that names
// the field, never an exception or a crash.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hotmem::protocol {

using nlohmann::json;

inline constexpr int kMaxJsonDepth = 16;
inline constexpr std::size_t kMaxStringBytes = 256 * 1024;

// Parses a payload into a JSON object: rejects invalid JSON, nesting deeper
// than kMaxJsonDepth and anything but an object at the top.
Result<json> parse_object(std::string_view payload);

struct Request {
  std::uint64_t id = 0;
  std::string type;
  json body = json::object();
};

struct Response {
  std::uint64_t id = 0;
  bool ok = false;
  std::string error;  // set when !ok
  json body = json::object();
};

std::string encode_request(const Request& request);
std::string encode_response(const Response& response);
Result<Request> decode_request(std::string_view payload);
Result<Response> decode_response(std::string_view payload);

// Checked field access on a JSON object.
Result<std::uint64_t> get_u64(const json& object, std::string_view key,
                              std::uint64_t max = UINT64_MAX);
Result<std::int64_t> get_i64(const json& object, std::string_view key, std::int64_t min,
                             std::int64_t max);
// Any JSON number (integer or not), as a double within [min, max].
Result<double> get_number(const json& object, std::string_view key, double min, double max);
Result<bool> get_bool(const json& object, std::string_view key);
Result<std::string> get_string(const json& object, std::string_view key,
                               std::size_t max_bytes = kMaxStringBytes);
Result<std::vector<std::string>> get_string_list(const json& object, std::string_view key,
                                                 std::size_t max_items, std::size_t max_item_bytes);
Result<std::map<std::string, std::string>> get_string_map(const json& object, std::string_view key,
                                                          std::size_t max_items,
                                                          std::size_t max_item_bytes);
Result<json> get_object(const json& object, std::string_view key);
bool has(const json& object, std::string_view key);

// Names of instances and VMs: 1-64 of [A-Za-z0-9_.-], not starting with '.'.
// They become file and cgroup names, never shell words.
Status validate_name(std::string_view what, std::string_view name);

}  // namespace hotmem::protocol

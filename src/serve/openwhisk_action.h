// An OpenWhisk action as the OpenWhisk API (openwhisk_api.h) sees it: the
// HotMem function it is (a FunctionSpec) plus what only OpenWhisk has
// (its kind as given, default parameters, annotations, limits as given, a
// version and when it was updated). The FunctionRegistry stays the truth of
// what runs; this is the metadata kept beside it (OpenWhiskActionStore).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "serve/function_spec.h"

namespace hotmem::serve {

using nlohmann::json;

struct OpenWhiskAction {
  std::string name;
  json exec = json::object();         // {"kind", "code", "main"?, "binary"}
  json parameters = json::array();    // [{"key", "value"}]: defaults under the invoke's body
  json annotations = json::array();   // [{"key", "value"}]
  json limits = json::object();       // {"timeout", "memory", "logs", "concurrency", "instances"?} as given
  int version_patch = 1;              // "0.0.<patch>"
  bool publish = false;
  std::int64_t updated_ms = 0;        // since the epoch
};

// OpenWhisk's sentence for a kind HotMem does not run.
std::string unsupported_kind(const std::string& kind);

// The action a PUT makes: `body` over `existing` (an update, ?overwrite=true:
// what the body leaves out keeps its old value, annotations merge by key,
// the version's patch goes up) or a new one (`existing` null: `exec` is
// required). Errors are kInvalidArgument with a sentence for the client.
Result<OpenWhiskAction> merge_action_put(const std::string& name, const json& body, const OpenWhiskAction* existing,
                                         std::int64_t now_ms);

// The HotMem function of an action: a `python:*` kind is the python runtime
// with its code and main; limits.memory (MB) its memory; limits.instances,
// else limits.concurrency, its concurrency. Checked by parse_function_spec.
Result<FunctionSpec> to_function_spec(const OpenWhiskAction& action);

// limits.timeout's range (OpenWhisk's default bounds), in milliseconds.
inline constexpr std::int64_t kMinTimeoutMs = 100;
inline constexpr std::int64_t kMaxTimeoutMs = 300000;

// How long one run of the action may take: limits.timeout (60 s when the
// action has none).
std::chrono::milliseconds run_limit(const OpenWhiskAction& action);

// The action of a function deployed through /v1 (no OpenWhisk metadata).
OpenWhiskAction action_of_spec(const FunctionSpec& spec);

// The action as OpenWhisk answers it (GET, PUT, DELETE); `with_code` false
// leaves out exec.code (?code=false).
json action_json(const OpenWhiskAction& action, const std::string& ns, bool with_code);
// As an action list holds it: no code, no parameters.
json action_brief(const OpenWhiskAction& action, const std::string& ns);

// `parameters` ([{"key", "value"}]) as an object, with `body`'s fields over them.
json merge_parameters(const json& parameters, const json& body);

// The OpenWhisk metadata of the actions, by name. Thread-safe.
class OpenWhiskActionStore {
 public:
  std::optional<OpenWhiskAction> get(const std::string& name) const;
  void put(OpenWhiskAction action);
  void erase(const std::string& name);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, OpenWhiskAction> actions_;
};

}  // namespace hotmem::serve

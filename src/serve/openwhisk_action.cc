#include "serve/openwhisk_action.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace hotmem::serve {
namespace {

constexpr int kDefaultTimeoutMs = 60000;
constexpr int kDefaultMemoryMb = 256;
constexpr int kDefaultLogsMb = 10;

Error invalid(std::string message) { return Error(ErrorCode::kInvalidArgument, std::move(message)); }

bool is_python(const std::string& kind) { return kind.starts_with("python:"); }
bool is_blackbox(const std::string& kind) { return kind == "blackbox"; }

// A blackbox action's image: HotMem runs no container images, only its
// built-in native action (or the program of annotation hotmem-command) in
// the guest's own root; this names that.
constexpr const char* kNativeImage = "hotmem/native";
constexpr const char* kCommandAnnotation = "hotmem-command";

// OpenWhisk's own test for code sent without "binary": a base64 text (the
// npm client sends a Buffer's code so, without the flag).
bool looks_base64(const std::string& code) {
  if (code.empty() || code.size() % 4 != 0) return false;
  const auto body_end = code.find_last_not_of('=');
  if (body_end == std::string::npos || code.size() - body_end - 1 > 2) return false;
  return std::all_of(code.begin(), code.begin() + static_cast<std::ptrdiff_t>(body_end) + 1, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

// The value of annotation `key`, or null.
json annotation(const json& annotations, const std::string& key) {
  for (const json& kv : annotations) {
    if (kv["key"] == key) return kv["value"];
  }
  return nullptr;
}

// Whether `a` is OpenWhisk's [{"key": string, "value": any}].
bool is_key_values(const json& a) {
  if (!a.is_array()) return false;
  for (const json& kv : a) {
    if (!kv.is_object() || !kv.contains("key") || !kv["key"].is_string() || !kv.contains("value")) return false;
  }
  return true;
}

// `over`'s entries replace `base`'s of the same key; the others are added.
json merge_key_values(json base, const json& over) {
  for (const json& kv : over) {
    auto same = std::find_if(base.begin(), base.end(), [&kv](const json& b) { return b["key"] == kv["key"]; });
    if (same != base.end()) {
      *same = kv;
    } else {
      base.push_back(kv);
    }
  }
  return base;
}

// limits with every field OpenWhisk answers; an error on a limit that is
// there but not a whole number.
Result<json> checked_limits(const json& given, json limits) {
  if (!given.is_object()) return invalid("limits must be an object");
  for (const auto& [key, value] : given.items()) {
    if (key != "timeout" && key != "memory" && key != "logs" && key != "concurrency" && key != "instances") continue;
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
      return invalid(fmt::format("limits.{} must be a whole number, not {}", key, value.dump().substr(0, 64)));
    }
    if (key == "timeout" && (value.get<std::int64_t>() < kMinTimeoutMs || value.get<std::int64_t>() > kMaxTimeoutMs)) {
      return invalid(fmt::format("The duration must be between {} milliseconds and {} milliseconds.", kMinTimeoutMs,
                                 kMaxTimeoutMs));
    }
    limits[key] = value;
  }
  return limits;
}

}  // namespace

std::string unsupported_kind(const std::string& kind) {
  return fmt::format("The specified runtime '{}' is not supported by this platform. Valid values are: 'python:3', "
                     "'python:default', 'blackbox'.",
                     kind.substr(0, 64));
}

Result<OpenWhiskAction> merge_action_put(const std::string& name, const json& body, const OpenWhiskAction* existing,
                                         std::int64_t now_ms) {
  if (!body.is_object()) return invalid("The request content was malformed: the body must be a JSON object.");
  OpenWhiskAction a;
  if (existing) {
    a = *existing;
    ++a.version_patch;
  } else {
    a.name = name;
    a.limits = json{{"timeout", kDefaultTimeoutMs}, {"memory", kDefaultMemoryMb}, {"logs", kDefaultLogsMb},
                    {"concurrency", 1}};
  }
  a.updated_ms = now_ms;
  if (body.contains("exec") && !body["exec"].is_null()) {
    const json& exec = body["exec"];
    if (!exec.is_object() || !exec.contains("kind") || !exec["kind"].is_string()) {
      return invalid("exec must be an object with a string 'kind'.");
    }
    const std::string kind = exec["kind"];
    if (exec.contains("binary") && !exec["binary"].is_boolean()) return invalid("exec.binary must be true or false.");
    if (is_blackbox(kind)) {
      const json image = exec.value("image", json(kNativeImage));
      if (image != kNativeImage) {
        return invalid(fmt::format("The image {} cannot run here: HotMem runs no container images. A blackbox "
                                   "action is image '{}', the built-in native action, or the guest program "
                                   "that annotation '{}' names (an argv list).",
                                   image.dump().substr(0, 64), kNativeImage, kCommandAnnotation));
      }
      if (exec.contains("code")) return invalid("exec.code is not taken by a blackbox action here.");
      a.exec = json{{"kind", kind}, {"image", kNativeImage}, {"binary", false}};
    } else if (is_python(kind)) {
      if (!exec.contains("code") || !exec["code"].is_string()) return invalid("exec.code must be the action's source.");
      if (exec.contains("main") && !exec["main"].is_string()) return invalid("exec.main must be a string.");
      const std::string& code = exec["code"].get_ref<const std::string&>();
      const bool binary = exec.contains("binary") ? exec["binary"].get<bool>() : looks_base64(code);
      a.exec = json{{"kind", kind}, {"code", code}, {"binary", binary}};
      if (exec.contains("main")) a.exec["main"] = exec["main"];
    } else {
      return invalid(unsupported_kind(kind));
    }
  } else if (!existing) {
    return invalid("The request content was malformed: exec undefined.");
  }
  if (body.contains("parameters")) {
    if (!is_key_values(body["parameters"])) return invalid("parameters must be [{\"key\": ..., \"value\": ...}].");
    a.parameters = body["parameters"];
  }
  if (body.contains("annotations")) {
    if (!is_key_values(body["annotations"])) return invalid("annotations must be [{\"key\": ..., \"value\": ...}].");
    a.annotations = merge_key_values(a.annotations, body["annotations"]);
  }
  a.annotations = merge_key_values(a.annotations, json::array({json{{"key", "exec"}, {"value", a.exec["kind"]}}}));
  if (body.contains("limits")) {
    auto limits = checked_limits(body["limits"], a.limits);
    if (!limits) return limits.error();
    a.limits = std::move(*limits);
  }
  if (body.contains("publish")) {
    if (!body["publish"].is_boolean()) return invalid("publish must be true or false.");
    a.publish = body["publish"];
  }
  return a;
}

Result<FunctionSpec> to_function_spec(const OpenWhiskAction& action) {
  const std::string kind = action.exec.value("kind", "");
  json native{{"memory_mib", action.limits.value("memory", kDefaultMemoryMb)},
              {"concurrency", action.limits.contains("instances") ? action.limits["instances"]
                                                                   : action.limits.value("concurrency", json(1))}};
  if (is_python(kind)) {
    native["runtime"] = "python";
    native["code"] = action.exec.value("code", "");
    native["main"] = action.exec.value("main", "main");
    native["binary"] = action.exec.value("binary", false);
  } else if (is_blackbox(kind)) {
    native["runtime"] = "native";
    if (json command = annotation(action.annotations, kCommandAnnotation); !command.is_null()) {
      native["command"] = std::move(command);
    }
  } else {
    return invalid(unsupported_kind(kind));
  }
  auto spec = parse_function_spec(action.name, native);
  if (!spec) return invalid(spec.error().message());
  return spec;
}

std::chrono::milliseconds run_limit(const OpenWhiskAction& action) {
  const json& timeout = action.limits.contains("timeout") ? action.limits["timeout"] : json(kDefaultTimeoutMs);
  const std::int64_t ms = timeout.is_number_integer() ? timeout.get<std::int64_t>() : kDefaultTimeoutMs;
  return std::chrono::milliseconds(std::clamp<std::int64_t>(ms, kMinTimeoutMs, kMaxTimeoutMs));
}

OpenWhiskAction action_of_spec(const FunctionSpec& spec) {
  OpenWhiskAction a;
  a.name = spec.name;
  const bool python = spec.runtime == "python";
  a.exec = python ? json{{"kind", "python:3"}, {"code", spec.code}, {"main", spec.main}, {"binary", spec.binary}}
                  : json{{"kind", "blackbox"}, {"image", kNativeImage}, {"binary", false}};
  a.limits = json{{"timeout", kDefaultTimeoutMs}, {"memory", spec.memory_mib}, {"logs", kDefaultLogsMb},
                  {"concurrency", spec.concurrency}};
  a.annotations = json::array({json{{"key", "exec"}, {"value", a.exec["kind"]}}});
  if (!python && !spec.command.empty()) a.annotations.push_back(json{{"key", kCommandAnnotation}, {"value", spec.command}});
  return a;
}

json action_json(const OpenWhiskAction& action, const std::string& ns, bool with_code) {
  json exec = action.exec;
  if (!with_code) exec.erase("code");
  return json{{"namespace", ns},
              {"name", action.name},
              {"version", fmt::format("0.0.{}", action.version_patch)},
              {"exec", exec},
              {"parameters", action.parameters},
              {"limits", action.limits},
              {"publish", action.publish},
              {"annotations", action.annotations},
              {"updated", action.updated_ms}};
}

json action_brief(const OpenWhiskAction& action, const std::string& ns) {
  json brief = action_json(action, ns, false);
  brief.erase("parameters");
  brief["exec"] = json{{"binary", action.exec.value("binary", false)}};
  return brief;
}

json merge_parameters(const json& parameters, const json& body) {
  json merged = json::object();
  for (const json& kv : parameters) merged[kv["key"].get<std::string>()] = kv["value"];
  for (const auto& [key, value] : body.items()) merged[key] = value;
  return merged;
}

std::optional<OpenWhiskAction> OpenWhiskActionStore::get(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = actions_.find(name);
  if (it == actions_.end()) return std::nullopt;
  return it->second;
}

void OpenWhiskActionStore::put(OpenWhiskAction action) {
  std::lock_guard lock(mutex_);
  std::string name = action.name;
  actions_.insert_or_assign(std::move(name), std::move(action));
}

void OpenWhiskActionStore::erase(const std::string& name) {
  std::lock_guard lock(mutex_);
  actions_.erase(name);
}

}  // namespace hotmem::serve

#include "serve/function_spec.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "host/memory_mode.h"
#include "protocol/messages.h"

namespace hotmem::serve {
namespace {

const std::set<std::string> kFields{"runtime",     "command", "code", "main",         "binary",
                                    "memory_mib",  "concurrency", "vcpus", "mode", "keep_alive_s", "model"};

Status check_int(const json& body, std::string_view key, std::int64_t min, std::int64_t max, auto& out) {
  if (!protocol::has(body, key)) return ok_status();
  auto v = protocol::get_i64(body, key, min, max);
  if (!v) return v.error();
  out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
  return ok_status();
}

Result<FunctionSpec> read_function_spec(std::string_view name, const json& body) {
  if (Status s = protocol::validate_name("function name", name); !s) return s.error();
  if (!body.is_object()) return Error("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (!kFields.contains(key)) {
      return Error(fmt::format("unknown field '{}' (known: runtime, command, code, main, binary, memory_mib, model, "
                               "concurrency, vcpus, mode, keep_alive_s)",
                               key));
    }
  }
  FunctionSpec spec;
  spec.name = std::string(name);
  if (protocol::has(body, "runtime")) {
    auto runtime = protocol::get_string(body, "runtime", 16);
    if (!runtime) return runtime.error();
    spec.runtime = *runtime;
  }
  if (spec.runtime != "native" && spec.runtime != "python") {
    return Error(fmt::format("field 'runtime' must be \"native\" or \"python\", not \"{}\"", spec.runtime));
  }
  if (spec.runtime == "native") {
    if (protocol::has(body, "code")) return Error("field 'code' is for the python runtime; native takes 'command'");
    if (protocol::has(body, "binary")) return Error("field 'binary' is for the python runtime");
    if (protocol::has(body, "command")) {
      auto command = protocol::get_string_list(body, "command", 64, 4096);
      if (!command) return command.error();
      if (command->empty() || command->front().empty() || command->front().front() != '/') {
        return Error("field 'command' must start with the absolute path of a program in the guest");
      }
      spec.command = std::move(*command);
    }
  } else {
    if (protocol::has(body, "command")) return Error("field 'command' is for the native runtime; python takes 'code'");
    auto code = protocol::get_string(body, "code", kMaxCodeBytes);
    if (!code) return code.error();
    if (code->empty()) return Error("field 'code' must not be empty");
    spec.code = std::move(*code);
    if (protocol::has(body, "binary")) {
      if (!body["binary"].is_boolean()) return Error("field 'binary' must be true or false");
      spec.binary = body["binary"].get<bool>();
    }
    if (protocol::has(body, "main")) {
      auto main = protocol::get_string(body, "main", 128);
      if (!main) return main.error();
      const bool identifier = !main->empty() && !std::isdigit(static_cast<unsigned char>(main->front())) &&
                              std::all_of(main->begin(), main->end(), [](char c) {
                                return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                              });
      if (!identifier) return Error("field 'main' must be a Python identifier");
      spec.main = *main;
    }
  }
  if (Status s = check_int(body, "memory_mib", kMinMemoryMib, kMaxMemoryMib, spec.memory_mib); !s) return s.error();
  if (Status s = check_int(body, "concurrency", 1, kMaxConcurrency, spec.concurrency); !s) return s.error();
  if (Status s = check_int(body, "vcpus", 1, kMaxVcpus, spec.vcpus); !s) return s.error();
  std::int64_t keep_alive = spec.keep_alive.count();
  if (Status s = check_int(body, "keep_alive_s", 0, kMaxKeepAliveS, keep_alive); !s) return s.error();
  spec.keep_alive = std::chrono::seconds(keep_alive);
  if (protocol::has(body, "mode")) {
    auto mode = protocol::get_string(body, "mode", 32);
    if (!mode) return mode.error();
    spec.mode = *mode;
  }
  if (protocol::has(body, "model")) {
    auto model = protocol::get_string(body, "model", 8);
    if (!model) return model.error();
    spec.model = *model;
  }
  if (spec.model != kNToOne && spec.model != kOneToOne) {
    return Error(fmt::format("field 'model' must be \"{}\" or \"{}\", not \"{}\"", kNToOne, kOneToOne, spec.model));
  }
  if (spec.model == kOneToOne) {
    // Every instance has a VM of its own, booted with 1 vCPU and all its
    // memory: there is no memory mode to choose.
    if (protocol::has(body, "mode")) return Error("field 'mode' is for model \"N:1\"; a 1:1 VM has all its memory from boot");
    if (spec.vcpus != 1) return Error("field 'vcpus' must be 1 with model \"1:1\" (one VM of 1 vCPU per instance)");
    spec.mode = "static";
    return spec;
  }
  const auto modes = host::memory_mode_names();
  if (std::find(modes.begin(), modes.end(), spec.mode) == modes.end()) {
    return Error(fmt::format("field 'mode' must be one of {}, not \"{}\"", fmt::join(modes, ", "), spec.mode));
  }
  return spec;
}

}  // namespace

Result<FunctionSpec> parse_function_spec(std::string_view name, const json& body) {
  auto spec = read_function_spec(name, body);
  if (!spec) return spec.error().with_code(ErrorCode::kInvalidArgument);
  return spec;
}

json FunctionSpec::to_json() const {
  json j{{"name", name},   {"runtime", runtime},         {"memory_mib", memory_mib},
         {"model", model}, {"concurrency", concurrency}, {"vcpus", vcpus},
         {"mode", mode},   {"keep_alive_s", keep_alive.count()}};
  if (runtime == "native") j["command"] = command;
  if (runtime == "python") {
    j["main"] = main;
    j["binary"] = binary;
    j["code_bytes"] = code.size();
  }
  return j;
}

}  // namespace hotmem::serve

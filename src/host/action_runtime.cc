#include "host/action_runtime.h"

#include <array>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "host/guest_workloads.h"
#include "image/rootfs_image.h"
#include "protocol/channel.h"
#include "protocol/messages.h"

namespace hotmem::host {
namespace {

// The OpenWhisk action runner of the python runtime, inside the rootfs.
constexpr std::array<const char*, 2> kPythonRunner{"/usr/bin/python3", "/opt/hotmem/ow_runner.py"};

}  // namespace

Result<ActionRuntime> ActionRuntime::prepare(const ActionCode& code, FunctionVmConfig& vm) {
  ActionRuntime runtime(code);
  if (code.runtime != ActionCode::Runtime::kPython) return runtime;
  // Python instances run from the read-only Debian root filesystem.
  const auto rootfs = vm.rootfs_image.value_or(image::default_rootfs_image());
  if (!std::filesystem::exists(rootfs)) {
    return Error(fmt::format("the python runtime needs the function root filesystem {}: run ./scripts/setup",
                             rootfs.string()));
  }
  vm.rootfs_image = rootfs;
  auto preload = image::rootfs_preload_paths(rootfs);
  if (!preload) return preload.error();
  runtime.preload_ = std::move(*preload);
  return runtime;
}

InstanceRequest ActionRuntime::instance(const std::string& name) const {
  InstanceRequest request;
  request.program.name = name;
  request.actions = ActionServing{};
  if (code_.runtime == ActionCode::Runtime::kPython) {
    request.program.argv = {kPythonRunner.begin(), kPythonRunner.end()};
    request.program.root = protocol::kRootfsMountPoint;
    request.preload = preload_;
    // The OpenWhisk way: the runner gets the action's code with /init.
    request.actions->init =
        nlohmann::json{{"value", {{"code", code_.code}, {"main", code_.main}, {"binary", code_.binary}}}}.dump();
  } else {
    request.program.argv = code_.command.empty() ? action_argv() : code_.command;
  }
  return request;
}

std::string run_body(const nlohmann::json& params) { return nlohmann::json{{"value", params}}.dump(); }

Result<nlohmann::json> action_result(const ActionAnswer& answer) {
  // The answer comes from code in the guest: it must be a JSON object.
  auto result = protocol::parse_object(answer.body);
  if (!result) {
    return Error(ErrorCode::kGuestMisbehaved, "the action's answer is not a JSON object: " + result.error().message())
        .with_reason("bad answer from the action");
  }
  if (answer.status < 200 || answer.status > 299) {
    return Error(ErrorCode::kGuestMisbehaved, fmt::format("the action answered {}: {}", answer.status, result->dump()))
        .with_reason("the action failed");
  }
  return result;
}

}  // namespace hotmem::host

// How a function's instances serve OpenWhisk actions: a program in the
// guest that listens on $PORT and answers POST /init and /run. Two runtimes:
//
//   native  a program of the guest image (the agent's built-in action
//           server unless a command is given)
//   python  the OpenWhisk runner (/opt/hotmem/ow_runner.py) chrooted in the
//           VM's read-only Debian root filesystem, given the action's source
//           with /init (docs/python-runtime.md)
//
// One place knows what each runtime needs of the VM and of an instance; a
// Deployment uses it (DeploymentSpec::action) and nothing above host/ does.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "host/agent_client.h"
#include "host/function_vm.h"
#include "host/instance_request.h"

namespace hotmem::host {

// What a deployed function runs.
struct ActionCode {
  enum class Runtime { kNative, kPython };
  Runtime runtime = Runtime::kNative;
  std::vector<std::string> command;  // native: argv of an action server; empty: the agent's own
  std::string code;                  // python: the action's source
  std::string main = "main";         // python: its entry point
  bool binary = false;               // python: `code` is a base64 zip holding __main__.py
};

class ActionRuntime {
 public:
  // Readies `vm` for the runtime (python: attaches the root filesystem
  // image, which must exist) and reads what every instance will map.
  static Result<ActionRuntime> prepare(const ActionCode& code, FunctionVmConfig& vm);

  // How to start instance `name` of the action (the pool gives it its port).
  InstanceRequest instance(const std::string& name) const;

 private:
  explicit ActionRuntime(ActionCode code) : code_(std::move(code)) {}

  ActionCode code_;
  std::vector<std::string> preload_;  // python: the rootfs files every instance maps
};

// The body of a /run: the invocation's parameters as OpenWhisk's "value".
std::string run_body(const nlohmann::json& params);

// What an action answered to /run, checked: its result must be a JSON
// object (else kGuestMisbehaved, reason "bad answer from the action") and
// its status 2xx (else kGuestMisbehaved, reason "the action failed", with
// the result in the message).
Result<nlohmann::json> action_result(const ActionAnswer& answer);

}  // namespace hotmem::host

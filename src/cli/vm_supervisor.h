// `hotmem vm start` leaves a VM running after the command returns: a detached
// supervisor process (`hotmem vm supervise`) owns the FunctionVm (so QEMU
// still dies with its owner) and answers the other `hotmem vm` commands on a
// control socket, using the same framed messages as the agent channel.
//
// State of a VM named N lives in ROOT/vms/N/ (host/runtime_root.h):
// control.sock, owner (the supervisor, host/run_dir.h), supervisor.log, and
// the VM's own sockets and logs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "host/function_vm.h"

namespace hotmem::cli {

using nlohmann::json;

// ROOT/vms/<name>, its parents checked (host::vm_states_root).
Result<std::filesystem::path> vm_state_dir(const std::string& name);

// Runs the supervisor in this process until `stop` or a signal.
int run_supervisor(const host::FunctionVmConfig& config);

// One request to a VM's supervisor.
Result<json> control_call(const std::string& name, const std::string& type, const json& body,
                          Clock::duration timeout);

// Names of VMs whose supervisor is alive; removes the state of dead ones.
Result<std::vector<std::string>> list_vms();

}  // namespace hotmem::cli

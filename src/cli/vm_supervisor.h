// `hotmem vm start` leaves a VM running after the command returns: a detached
// supervisor process (`hotmem vm supervise`) owns the FunctionVm (so QEMU
// still dies with its owner) and answers the other `hotmem vm` commands on a
// control socket, using the same framed messages as the agent channel.
//
// State of a VM named N lives in <state root>/N/: control.sock,
// supervisor.pid, supervisor.log, and the VM's own sockets and logs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "host/function_vm.h"

namespace hotmem::cli {

using nlohmann::json;

// $HOTMEM_STATE_DIR, else /run/hotmem when writable, else /tmp/hotmem-<uid>.
std::filesystem::path state_root();
std::filesystem::path vm_state_dir(const std::string& name);

// Runs the supervisor in this process until `stop` or a signal.
int run_supervisor(const host::FunctionVmConfig& config);

// One request to a VM's supervisor.
Result<json> control_call(const std::string& name, const std::string& type, const json& body,
                          Clock::duration timeout);

// Names of VMs whose supervisor is alive; removes the state of dead ones.
std::vector<std::string> list_vms();

}  // namespace hotmem::cli

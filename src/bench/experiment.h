// What every experiment of `hotmem bench` shares: the guest to boot, the
// progress display, and how results are written (docs/results-format.md).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/fleet.h"
#include "bench/progress.h"
#include "host/deployment.h"

namespace hotmem::serve {
class Function;
}

namespace hotmem::bench {

// How long a benchmark's VMs wait for QEMU's event that dates a memory
// device's size change (host::FunctionVmConfig::size_event_wait): QEMU
// sends one a second per device, so the last step of a change waits up to
// that, and a little more for the event to arrive.
inline constexpr Clock::duration kSizeEventWait = std::chrono::milliseconds(1100);

struct ExperimentContext {
  host::FunctionVmConfig vm;  // boot memory, vCPUs, accel, image, guest settings
  Progress* progress = nullptr;
  // The suite declares every experiment's steps up front (for its time
  // estimate); a single experiment declares its own.
  bool preplanned = false;
};

// Boots a deployment of `mode` with room for `instances` instances.
Result<std::unique_ptr<host::Deployment>> deploy(const ExperimentContext& context, const std::string& mode,
                                                 int instances, const WorkloadShape& workload, int init_on_alloc,
                                                 const std::string& vm_name);

// {"benchmark", "host", "config", "results"}.
nlohmann::json result_document(const std::string& benchmark, const ExperimentContext& context,
                               nlohmann::json config, nlohmann::json results);

// Where the deployment's QEMU threads may run, as it is now:
// {"vcpu_cores": "1", "other_cores": "0", "vcpus_apart": true} (cpu lists),
// or {"error": why it is unknown}.
nlohmann::json placement_json(host::Deployment& deployment);

// Checks every mode name.
Status validate_modes(const std::vector<std::string>& modes);

// Waits until the served function is idle (serve::is_idle: no instance,
// every partition empty); an error with its state when it is not within
// `timeout`.
Status wait_idle(serve::Function& function, Clock::duration timeout);

}  // namespace hotmem::bench

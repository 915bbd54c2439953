// The 1:1 model, the paper's baseline for N:1 (Fig. 11): one VM per
// instance, booted for it on its cold start with 1 vCPU and all its memory
// from boot, and shut down when the instance ends. Nothing is plugged or
// reclaimed: the VM is the unit of memory (static mode, one instance).
#pragma once

#include <cstdint>

#include "common/result.h"
#include "host/deployment.h"

namespace hotmem::host {

// The VM of one instance of the function `function` describes (its action,
// instance memory, image and guest settings; its mode, instance count,
// vCPUs and boot memory are replaced): 1 vCPU, one node, and boot memory
// of the least a one-instance guest works with (boot_bytes_needed: kernel,
// agent, spare) plus the instance's memory limit, so the instance can use
// all of its limit beside the kernel, the agent and its runtime's files.
DeploymentSpec one_to_one_spec(const DeploymentSpec& function);

// What such a VM commits of the host's memory, all of it from boot.
Result<std::uint64_t> one_to_one_bytes(const DeploymentSpec& function);

}  // namespace hotmem::host

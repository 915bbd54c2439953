// Shared pieces of the end-to-end tests: booting real VMs from the build's
// guest image, and checking that no QEMU outlives its owner.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/proc_stats.h"
#include "host/deployment.h"
#include "host/function_vm.h"

namespace hotmem::e2e {

// A config for a small test VM: 512 MiB boot memory, 2 vCPUs, TCG or KVM as
// the host allows, plus one partition device of `device_max` on node 1.
host::FunctionVmConfig test_vm_config(const std::string& name, std::uint64_t device_max = 1 * kGiB);

// The value of `made` (a Result<std::unique_ptr<T>>), or nullptr after failing
// the current test with the reason.
template <typename T>
std::unique_ptr<T> value_or_fail(Result<std::unique_ptr<T>> made) {
  if (!made) {
    ADD_FAILURE() << made.error().message();
    return nullptr;
  }
  return std::move(*made);
}

// Boots or fails the current test with the reason (console tail included).
inline std::unique_ptr<host::FunctionVm> boot_or_fail(const host::FunctionVmConfig& config) {
  return value_or_fail(host::FunctionVm::boot(config));
}

// A deployment of the test VM `e2e-<name>` in `mode` for up to `instances`
// instances of `instance_bytes` each (the mode lays out the memory).
host::DeploymentSpec test_deployment_spec(const std::string& name, const std::string& mode, int instances,
                                          std::uint64_t instance_bytes);
// Deploys or fails the current test with the reason.
inline std::unique_ptr<host::Deployment> deploy_or_fail(const host::DeploymentSpec& spec) {
  return value_or_fail(host::Deployment::create(spec));
}

// PIDs of live processes whose command line contains `needle`.
// Waits up to `timeout` for `pid` to disappear.
bool process_gone(pid_t pid, Clock::duration timeout);

// Path of the hotmem binary under test.
std::string hotmem_binary();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
// Runs the hotmem binary with these arguments (no shell), bounded in time.
CommandResult run_hotmem(const std::vector<std::string>& args, Clock::duration timeout = std::chrono::seconds(60));

}  // namespace hotmem::e2e

// A function deployed in one VM, and the only door to it: the memory mode
// lays the VM out, the VM boots, and the deployment starts instances in it,
// invokes them, retires them (memory back to the host), watches the VM's
// health and shuts it down. Callers never reach the VM, the mode or the
// instance pool behind it. Thread-safe.
//
// Life of an instance: start (memory granted, e.g. a partition plugged, and
// the instance started in its sandbox) -> running -> [stop: it ends; its
// memory stays granted] -> retire (stopped if still running, then its memory
// given back, measured) -> gone.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/action_runtime.h"
#include "host/agent_client.h"
#include "host/function_vm.h"
#include "host/instance_request.h"
#include "host/memory_mode.h"
#include "protocol/guest_reports.h"

namespace hotmem::host {

class InstancePool;

struct DeploymentSpec {
  std::string mode = "hotmem";
  FunctionShape shape;
  // Boot memory, vCPUs, image, guest settings; the mode adds its devices.
  FunctionVmConfig vm;
  // The action its instances serve (start_action); none for a VM of
  // arbitrary instances (benchmarks, tests).
  std::optional<ActionCode> action;
};

struct RetireOptions {
  // How long an instance has to end after SIGTERM before SIGKILL.
  Clock::duration grace = std::chrono::seconds(10);
  // How long the memory may take to come back (e.g. a partition to unplug).
  Clock::duration reclaim_timeout = std::chrono::seconds(120);
};

struct RetiredInstance {
  std::string name;
  InstanceEnd end;  // how it ended, what it left on its node
};

// What a retire did: the instances it stopped and the memory it gave back,
// measured from the guest's and the host's side around the reclaim alone.
struct RetireReport {
  std::vector<RetiredInstance> instances;  // stopped (now or before), their memory handed to the mode
  bool reclaimed = false;                  // the mode gave their memory back
  std::uint64_t bytes = 0;                 // given back (the mode's count)
  Clock::duration latency{};               // from asking for the memory to the VMM reporting it back
  std::uint64_t migrated_pages = 0;        // guest pgmigrate_success during the reclaim
  std::uint64_t rss_before = 0;            // QEMU's resident memory around the reclaim
  std::uint64_t rss_after = 0;
  double guest_cpu_ms = 0;  // guest busy CPU time during the reclaim (10 ms resolution)
  std::vector<double> guest_cpu_ms_per_vcpu;
  double host_cpu_ms = 0;  // QEMU's threads during the reclaim

  // Ok when every instance stopped and its memory came back; else what did not.
  Status status;
  // Ok when every figure above was measured; else which one was not.
  Status measured;

  double rss_released_mib() const { return to_mib(rss_before) - to_mib(rss_after); }
};

enum class HealthCheck {
  kLook,   // QEMU alive, agent channel intact
  kProbe,  // ... and the agent answers a ping
};

class Deployment {
 public:
  // Boots the VM (FunctionVm::boot: `abandon` ends a boot under way).
  static Result<std::unique_ptr<Deployment>> create(const DeploymentSpec& spec, std::stop_token abandon = {});
  // What a VM deployed from `spec` will commit of the host's memory, before
  // it boots (the memory budget admits it first).
  static Result<MemoryCommitment> commitment(const DeploymentSpec& spec);
  ~Deployment();
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;

  // Starts an instance with memory of its own (a cold start).
  Result<StartedInstance> start(const InstanceRequest& request);
  // Starts an instance of the deployed action (its runtime's program, given
  // the action's code with /init where the runtime wants it). An instance
  // that does not take its /init is retired at once.
  Result<StartedInstance> start_action(const std::string& name);
  // POSTs `body` to an action instance's `path` (/run or /init).
  Result<ActionAnswer> invoke(const std::string& instance, const std::string& path, const std::string& body,
                              Clock::duration timeout);
  // Ends an instance and keeps its memory granted until it is retired (to
  // measure a reclaim without the instance's own exit work in it).
  Result<InstanceEnd> stop(const std::string& instance, Clock::duration grace = std::chrono::seconds(10));
  // Stops the instances still running among `instances`, then gives back
  // the memory of every one that stopped, all at once. On a failed VM it
  // does nothing (QEMU has ended: its memory is back).
  RetireReport retire(const std::vector<std::string>& instances, const RetireOptions& options = {});

  // Ok while the VM is usable. The first failure (QEMU ended, the agent
  // broke the channel or, with kProbe, does not answer) ends QEMU, so its
  // memory goes back to the host, and is returned from then on.
  Status health(HealthCheck how = HealthCheck::kLook);
  // {"vm": {pid, accel, boot_ms, alive, state, failure?, run_dir,
  //  console_log, rss_bytes?}, "memory": the mode's view, "instances": [...]}
  nlohmann::json describe();
  // Ends QEMU at once (calls in flight fail). Idempotent.
  void shutdown();

  // Observations, for measurements, leak checks and tests.
  Result<protocol::GuestMemoryReport> memory_report();
  Result<std::uint64_t> rss_bytes();
  const MemoryCommitment& commitment() const { return commitment_; }
  // What the instances' memory holds now, as the VMM reports it (e.g. a
  // partition whose unplug timed out, until the guest completes it).
  Result<std::uint64_t> held_bytes();
  // What the guest agent runs, by its own account.
  Result<std::vector<InstanceStatus>> guest_instances();
  // Sends SIGUSR1 or SIGUSR2 ("USR1", "USR2") to an instance.
  Status signal(const std::string& instance, const std::string& signal);

  const DeploymentSpec& spec() const { return spec_; }

 private:
  friend struct DeploymentInternals;  // tests only: fault injection (host/testing/deployment_internals.h)

  Deployment() = default;
  // The reclaim of a retire, with the figures around it.
  void reclaim_measured(const std::vector<Grant>& grants, const RetireOptions& options, RetireReport& report);
  std::optional<std::string> failure_reason(HealthCheck how);

  DeploymentSpec spec_;
  std::unique_ptr<MemoryMode> mode_;
  std::unique_ptr<FunctionVm> vm_;
  std::unique_ptr<InstancePool> pool_;
  std::optional<ActionRuntime> runtime_;
  MemoryCommitment commitment_;

  std::mutex health_mutex_;
  std::optional<Error> failure_;
};

}  // namespace hotmem::host

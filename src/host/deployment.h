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

#include <deque>
#include <map>
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

// What to do with a partition whose instance left memory in it that the
// agent could not clear (a file no process maps, a tmpfs mounted elsewhere).
enum class DirtyPolicy {
  kMigrate,  // unplug it all the same: the guest migrates what is left (counted)
  kKeep,     // keep it plugged and unused; unplug it once it is empty
};
const char* to_string(DirtyPolicy policy);
Result<DirtyPolicy> parse_dirty_policy(std::string_view name);

// A partition that was not empty after its instance had gone, and what was
// done about it.
struct DirtyPartition {
  std::string instance;
  int node = 0;
  std::optional<int> partition;
  std::uint64_t bytes = 0;  // in use when the instance had gone, before clearing
  std::uint64_t left_bytes = 0;  // still in use after the agent cleared what it could
  std::string reason;            // what held them
  // "cleared" (the agent ended what held them: unplugged empty), "migrated"
  // (unplugged with what was left), "kept" (set aside), "reclaimed" (a kept
  // one, once empty), "driver-unplug" (taking it offline failed: the
  // driver's unplug migrated what it found).
  std::string action;
  std::uint64_t migrated_pages = 0;  // by its unplug
  std::int64_t at_unix_ms = 0;

  nlohmann::json to_json() const;
};

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
  // A partition its instance did not leave empty, once the agent has
  // cleared what it could: unplugged with migration, or kept.
  DirtyPolicy dirty = DirtyPolicy::kMigrate;
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
  Clock::duration device_latency{};        // the part spent on the devices alone (ReclaimResult::device_latency)
  bool dated_by_event = false;             // every reclaim's end was the VMM's event (ReclaimResult::dated_by_event)
  std::uint64_t migrated_pages = 0;        // guest pgmigrate_success during the reclaim
  std::uint64_t rss_before = 0;            // QEMU's resident memory around the reclaim
  std::uint64_t rss_after = 0;
  double guest_cpu_ms = 0;  // guest busy CPU time during the reclaim (10 ms resolution)
  std::vector<double> guest_cpu_ms_per_vcpu;
  double host_cpu_ms = 0;  // QEMU's threads during the reclaim
  // How often a vCPU thread lost its host core during the reclaim while it
  // could run (vmm::Vmm::vcpu_preemptions); none when the VMM does not tell.
  std::optional<std::uint64_t> vcpu_preemptions;
  // Partitions that were not empty when their instance had gone (their
  // migrations are in migrated_pages; kept ones make status an error).
  std::vector<DirtyPartition> dirty;

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
  // POSTs `body` to an action instance's `path` (/run or /init); a /run
  // answers with up to `log_bytes` of what the action wrote (AgentClient::invoke).
  Result<ActionAnswer> invoke(const std::string& instance, const std::string& path, const std::string& body,
                              Clock::duration timeout, std::size_t log_bytes = 0);
  // Plugs the memory of an instance that is never started, as if one had
  // started and ended without touching it: retire() gives it back as it does
  // an ended instance's (`hotmem bench floor`: the least a reclaim of this
  // memory can cost). Returns the plug latency.
  Result<Clock::duration> plug_unused(const std::string& name);
  // Ends an instance and keeps its memory granted until it is retired (to
  // measure a reclaim without the instance's own exit work in it).
  Result<InstanceEnd> stop(const std::string& instance, Clock::duration grace = std::chrono::seconds(10));
  // A partition's node may hold this much once its instance has gone and
  // still count as empty (free pages on per-CPU lists are not counted).
  // Measured after clean ends in the e2e tests: 0 to 28 KiB.
  static constexpr std::uint64_t kEmptySlackBytes = 2 * kMiB;

  // Stops the instances still running among `instances`, then gives back
  // the memory of every one that stopped, all at once. A partition still
  // holding more than kEmptySlackBytes is cleared by the agent first (what
  // escaped the instance is ended); if that does not empty it, the
  // options' DirtyPolicy decides. On a failed VM it does nothing (QEMU has ended:
  // its memory is back).
  RetireReport retire(const std::vector<std::string>& instances, const RetireOptions& options = {});
  // Reclaims the partitions kept dirty that are empty by now (what held
  // their memory has ended). Returns what that gave back.
  RetireReport reclaim_emptied(const RetireOptions& options = {});
  // Partitions kept dirty now.
  std::size_t dirty_partitions();

  // Ok while the VM is usable. The first failure (QEMU ended, the agent
  // broke the channel or, with kProbe, does not answer) ends QEMU, so its
  // memory goes back to the host, and is returned from then on.
  Status health(HealthCheck how = HealthCheck::kLook);
  // {"vm": {pid, accel, boot_ms, alive, state, failure?, run_dir,
  //  console_log, rss_bytes?}, "memory": the mode's view, "instances": [...],
  //  "dirty_partitions": the last DirtyPartition records, oldest first}
  nlohmann::json describe();
  // Ends QEMU at once (calls in flight fail). Idempotent.
  void shutdown();

  // Observations, for measurements, leak checks and tests.
  Result<protocol::GuestMemoryReport> memory_report();
  Result<std::uint64_t> rss_bytes();
  // Where QEMU's threads may run (FunctionVmConfig::dedicated_vcpu_cores).
  Result<vmm::CpuPlacement> cpu_placement();
  const MemoryCommitment& commitment() const { return commitment_; }
  // What the instances' memory holds now, as the VMM reports it (e.g. a
  // partition whose unplug timed out, until the guest completes it).
  Result<std::uint64_t> held_bytes();
  // What the guest agent runs, by its own account.
  Result<std::vector<InstanceStatus>> guest_instances();
  // Sends SIGUSR1 or SIGUSR2 ("USR1", "USR2") to an instance.
  Status signal(const std::string& instance, const std::string& signal);

  const DeploymentSpec& spec() const { return spec_; }
  // From starting QEMU to the agent's first answer (FunctionVm::boot_time).
  Clock::duration boot_time() const { return vm_->boot_time(); }

 private:
  friend struct DeploymentInternals;  // tests only: fault injection (host/testing/deployment_internals.h)

  Deployment() = default;
  // The reclaim of a retire, with the figures around it (added to those
  // of earlier reclaims in `report`).
  void reclaim_measured(const std::vector<Grant>& grants, const RetireOptions& options, RetireReport& report);
  // Whether an ended instance's partition is empty, once the agent has
  // cleared what it could; a DirtyPartition (action not yet set) if not.
  // (A partition the agent emptied is recorded as "cleared".)
  std::optional<DirtyPartition> check_empty(const Grant& grant, const InstanceEnd& end, RetireReport& report);
  void record(DirtyPartition dirty, RetireReport& report);
  std::optional<std::string> failure_reason(HealthCheck how);

  DeploymentSpec spec_;
  std::unique_ptr<MemoryMode> mode_;
  std::unique_ptr<FunctionVm> vm_;
  std::unique_ptr<InstancePool> pool_;
  std::optional<ActionRuntime> runtime_;
  MemoryCommitment commitment_;

  std::mutex health_mutex_;
  std::optional<Error> failure_;

  static constexpr std::size_t kDirtyLogSize = 32;
  std::mutex dirty_mutex_;
  struct Kept {
    Grant grant;
    std::uint64_t bytes = 0;  // what its instance left
  };
  std::map<std::string, Kept> kept_;  // partitions kept dirty, by instance
  std::deque<DirtyPartition> dirty_log_;
};

}  // namespace hotmem::host

// One deployed function: its N:1 VM (a Deployment in the function's memory
// mode) and the autoscaler in front of it.
//
// Autoscaling: an invocation takes an idle instance; when none is idle and
// fewer than N exist, it starts one (its memory plugged through the mode, a
// cold start); otherwise it waits its turn, first come first served. An
// instance idle for keep_alive is stopped and its memory reclaimed through
// the mode (for hotmem: its partition unplugged, nothing migrated).
//
// Memory comes from the host's budget (MemoryBroker): the VM's idle
// commitment when it is deployed, each instance's before it is plugged (a
// scale up may wait there, or evict idle instances of any function), and
// it goes back when instances retire. As a MemoryTenant it lets the broker
// evict its idle instances.
//
// A VM whose QEMU ended, or whose agent broke the protocol or stopped
// answering, has failed: QEMU is ended, invocations in flight on it fail
// saying why (none is run again), and the VM is booted again after a
// backoff (VmRecovery) while waiting and later invocations wait for it
// within their timeout. Its instances' memory goes back to the budget at
// once; its idle commitment stays admitted for the reboot. A VM that fails
// too often is crash-looping: no more boots, invocations fail at once, its
// memory goes back, and the registry lets the function be deployed again.
//
// Thread-safe: invocations run on the API server's threads, the reaper on
// its own. shutdown() stops everything; objects stay valid until the last
// shared owner (an invocation still in flight) lets go.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "host/deployment.h"
#include "serve/function.h"
#include "serve/function_spec.h"
#include "serve/memory_broker.h"
#include "serve/metrics.h"
#include "serve/vm_recovery.h"

namespace hotmem::serve {

class ServedFunction final : public Function {
 public:
  // Admits the VM to the memory budget (kResourceExhausted when it does not
  // fit) and boots it (slow: seconds to a minute under TCG). `recovery`:
  // when a failed VM is booted again; `dirty`: what to do with a partition
  // an ended instance did not leave empty.
  static Result<std::shared_ptr<ServedFunction>> deploy(const FunctionSpec& spec, const host::FunctionVmConfig& vm,
                                                        Metrics& metrics, MemoryBroker& broker,
                                                        RecoveryConfig recovery = {},
                                                        host::DirtyPolicy dirty = host::DirtyPolicy::kMigrate);
  ~ServedFunction() override;
  ServedFunction(const ServedFunction&) = delete;
  ServedFunction& operator=(const ServedFunction&) = delete;

  // Runs the action with {"value": params}; waits at most `timeout` in all.
  // Errors have a kind and a reason: kUnavailable "no instance free" (none
  // became free in time), "function unavailable" (an instance could not
  // start or be reached, or the function is being deleted), "function VM
  // failed", "memory budget exhausted" (no memory for a new instance in
  // time), "function VM recovering" (its VM failed and did not come back in
  // time); kGuestMisbehaved "the action failed" (it answered non-2xx) or
  // "bad answer from the action" (not a JSON object) or kActionTimedOut (it
  // ran out the trace's run limit; the instance is retired).
  Result<InvocationResult> invoke(const json& params, Clock::duration timeout, ActivationTrace& trace) override;
  using Function::invoke;
  json describe() override;
  const FunctionSpec& spec() const override { return spec_; }
  // QEMU's resident memory now (0 once the VM is gone).
  std::uint64_t rss_bytes() override;
  // Ready, recovering (its VM failed and boots again) or crash-looping.
  VmState state() override;
  // Why the VM last failed, while it is not ready; empty while it is.
  std::optional<std::string> failure();
  // The most instances it had at once.
  std::size_t peak_instances() override;
  // Instances the guest agent still knows of (leak checks).
  Result<std::size_t> guest_instance_count();

  // Stops the reaper (a reboot under way is abandoned), fails queued
  // invocations and stops the VM (QEMU ends at once; invocations in flight
  // fail). Idempotent.
  void shutdown() override;

  // MemoryTenant
  std::vector<IdleInstance> idle_instances() override;
  std::size_t evict(const std::vector<std::string>& instances) override;

 private:
  // One boot of the function's VM and the memory its instances hold in the
  // budget. Instances refer to the boot they run on, so what a failed VM's
  // invocations do later never touches the next boot's books.
  struct Vm {
    Vm(std::unique_ptr<host::Deployment> booted, AccountId in) : deployment(std::move(booted)), account(in) {}
    const std::unique_ptr<host::Deployment> deployment;
    // Its memory's account in the budget; closed when the VM fails (renewed
    // for the next boot), so nothing done for this VM later counts.
    const AccountId account;
    // Starts and retires hold it shared; settling stuck memory exclusively,
    // so what the VMM shows matches what the slots hold.
    std::shared_mutex memory_gate;
    std::uint64_t granted_bytes = 0;     // admitted for instances that hold it (mutex_)
    std::uint64_t stuck_bytes = 0;       // retired, not yet shown back by the VMM (mutex_)
    std::optional<std::string> failure;  // why it failed (mutex_)
  };
  enum class SlotState { kAwaitingMemory, kStarting, kIdle, kBusy, kStopping };
  struct Slot {
    std::string instance;
    int port = 0;  // its action server's, once started
    SlotState state = SlotState::kStarting;
    Clock::time_point idle_since;
    std::uint64_t invocations = 0;
    std::shared_ptr<Vm> vm;  // the boot it runs on
  };

  static const char* state_name(SlotState state);

  ServedFunction(FunctionSpec spec, Metrics& metrics, MemoryBroker& broker, RecoveryConfig recovery)
      : spec_(std::move(spec)), metrics_(metrics), broker_(broker), recovery_(recovery) {}

  // Takes an idle slot, or makes a new one (cold) with its memory admitted
  // by the broker; waits its turn until `deadline`.
  Result<Slot*> take_slot(Clock::time_point deadline, Clock::duration timeout, bool& cold);
  // Memory of instances whose retire did not give it all back: released as
  // the VMM shows it back (held_bytes), when nothing starts or retires.
  void settle_stuck_memory();
  // Looks at the health of `vm` (with `probe`, the agent must answer a
  // ping). The first time it is not healthy (the deployment has then ended
  // QEMU): records why, drops idle instances, settles the memory
  // (failed_locked) and wakes the queue. Returns the failure.
  std::optional<std::string> check_vm(const std::shared_ptr<Vm>& vm, bool probe);
  // A failure of the VM or of a reboot, counted by the recovery policy: the
  // account is renewed (recovering) or closed (crash-looping). mutex_ held.
  void failed_locked(const std::string& why);
  // Boots the VM again (the reaper, when the backoff has passed).
  void recover();
  // What an invocation hears when the VM failed under it, or is
  // crash-looping. mutex_ held.
  Error vm_failed_locked(const std::string& why) const;
  // Drops a slot whose VM failed (nothing of it to retire).
  void drop(const Slot* slot);
  // vm_, read under the lock.
  std::shared_ptr<Vm> current_vm();
  // Retires the instances (the slots are kStopping) and counts what came back.
  void retire(const std::vector<Slot*>& slots, const char* why, const host::RetireOptions& options);
  // The metrics of a reclaim of `instances` instances' memory.
  void count_reclaim(Vm& vm, const host::RetireReport& report, std::size_t instances);
  // Reclaims partitions of `vm` kept dirty that have emptied, every so often.
  void reclaim_emptied_partitions(Vm& vm);
  void reap_loop();

  FunctionSpec spec_;
  Metrics& metrics_;
  MemoryBroker& broker_;
  host::DeploymentSpec boot_spec_;  // every boot's
  host::DirtyPolicy dirty_ = host::DirtyPolicy::kMigrate;
  RecentLatencies latencies_;  // its own lock

  std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<Vm> vm_;  // the current boot, or the failed one until the next boots
  AccountId account_ = 0;   // the function's in the budget: vm_'s, or the next boot's
  VmRecovery recovery_;
  std::stop_source abandon_;  // ends a reboot under way at shutdown
  // Every idle slot is on vm_ while it is ready: a failure drops them, and a
  // slot of a failed VM never goes idle.
  std::list<Slot> slots_;  // stable addresses
  std::deque<std::uint64_t> queue_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t next_instance_ = 0;
  std::size_t peak_instances_ = 0;
  bool closing_ = false;
  Clock::time_point last_probe_{};
  Clock::time_point last_dirty_check_{};  // reaper only
  std::thread reaper_;
};

}  // namespace hotmem::serve

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
// answering, is failed: QEMU is ended (its memory goes back), waiting and
// later invocations fail at once saying why, and the registry lets the
// function be deployed again.
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
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "host/deployment.h"
#include "serve/function_spec.h"
#include "serve/memory_broker.h"
#include "serve/metrics.h"

namespace hotmem::serve {

struct InvocationResult {
  int status = 0;  // the action's HTTP status
  json result;     // its answer
  bool cold = false;
  std::string instance;
  Clock::duration queued{};      // waiting for an instance
  Clock::duration cold_start{};  // starting one (plug included), when cold
  Clock::duration plug{};        // of which plugging its memory
  Clock::duration execution{};   // the action, as the guest timed it
  Clock::duration total{};
  json to_json() const;
};

class ServedFunction final : public MemoryTenant {
 public:
  // Admits the VM to the memory budget (kResourceExhausted when it does not
  // fit) and boots it (slow: seconds to a minute under TCG). `dirty` says
  // what to do with a partition an ended instance did not leave empty.
  static Result<std::shared_ptr<ServedFunction>> deploy(const FunctionSpec& spec, const host::FunctionVmConfig& vm,
                                                        Metrics& metrics, MemoryBroker& broker,
                                                        host::DirtyPolicy dirty = host::DirtyPolicy::kMigrate);
  ~ServedFunction() override;
  ServedFunction(const ServedFunction&) = delete;
  ServedFunction& operator=(const ServedFunction&) = delete;

  // Runs the action with {"value": params}; waits at most `timeout` in all.
  // Errors have a kind and a reason: kUnavailable "no instance free" (none
  // became free in time), "function unavailable" (an instance could not
  // start or be reached, or the function is being deleted), "function VM
  // failed", "memory budget exhausted" (no memory for a new instance in
  // time); kGuestMisbehaved "the action failed" (it answered non-2xx) or
  // "bad answer from the action" (not a JSON object).
  Result<InvocationResult> invoke(const json& params, Clock::duration timeout);
  json describe();
  const FunctionSpec& spec() const { return spec_; }
  // QEMU's resident memory now (0 once the VM is gone).
  std::uint64_t rss_bytes();
  // Why the VM failed; empty while it is healthy.
  std::optional<std::string> failure();
  // The most instances it had at once.
  std::size_t peak_instances();
  // Instances the guest agent still knows of (leak checks).
  Result<std::size_t> guest_instance_count();

  // Stops the reaper, fails queued invocations and stops the VM (QEMU ends
  // at once; invocations in flight fail). Idempotent.
  void shutdown();

  // MemoryTenant
  std::vector<IdleInstance> idle_instances() override;
  std::size_t evict(const std::vector<std::string>& instances) override;
  std::uint64_t resident_bytes() override { return rss_bytes(); }

 private:
  enum class SlotState { kAwaitingMemory, kStarting, kIdle, kBusy, kStopping };
  struct Slot {
    std::string instance;
    int port = 0;  // its action server's, once started
    SlotState state = SlotState::kStarting;
    Clock::time_point idle_since;
    std::uint64_t invocations = 0;
  };

  static const char* state_name(SlotState state);

  ServedFunction(FunctionSpec spec, Metrics& metrics, MemoryBroker& broker)
      : spec_(std::move(spec)), metrics_(metrics), broker_(broker) {}

  // Takes an idle slot, or makes a new one (cold) with its memory admitted
  // by the broker; waits its turn until `deadline`.
  Result<Slot*> take_slot(Clock::time_point deadline, Clock::duration timeout, bool& cold);
  // Memory of instances whose retire did not give it all back: released as
  // the VMM shows it back (held_bytes), when nothing starts or retires.
  void settle_stuck_memory();
  // Looks at the VM's health (with `probe`, the agent must answer a ping).
  // The first time it is not healthy (the deployment has then ended QEMU):
  // records why, drops idle instances and wakes the queue. Returns the failure.
  std::optional<std::string> check_vm(bool probe);
  Error vm_failed(const std::string& why) const;
  // Retires the instances (the slots are kStopping) and counts what came back.
  void retire(const std::vector<Slot*>& slots, const char* why, const host::RetireOptions& options);
  // The metrics of a reclaim of `instances` instances' memory.
  void count_reclaim(const host::RetireReport& report, std::size_t instances);
  // Reclaims partitions kept dirty that have emptied, every so often.
  void reclaim_emptied_partitions();
  void reap_loop();

  FunctionSpec spec_;
  Metrics& metrics_;
  MemoryBroker& broker_;
  AccountId account_ = 0;
  host::DirtyPolicy dirty_ = host::DirtyPolicy::kMigrate;
  std::unique_ptr<host::Deployment> deployment_;
  // Starts and retires hold it shared; settling stuck memory exclusively,
  // so what the VMM shows matches what the slots hold.
  std::shared_mutex memory_gate_;
  std::uint64_t granted_bytes_ = 0;  // admitted for instances that hold it (mutex_)
  std::uint64_t stuck_bytes_ = 0;    // retired, not yet shown back by the VMM (mutex_)

  std::mutex mutex_;
  std::condition_variable changed_;
  std::list<Slot> slots_;  // stable addresses
  std::deque<std::uint64_t> queue_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t next_instance_ = 0;
  std::size_t peak_instances_ = 0;
  bool closing_ = false;
  std::optional<std::string> failure_;
  Clock::time_point last_probe_{};
  Clock::time_point last_dirty_check_{};  // reaper only
  std::thread reaper_;
};

// Whether a function's state (describe(), or GET /v1/functions/{name}) shows
// it idle: no instance, and every partition (hotmem mode) empty.
bool is_idle(const json& described);

}  // namespace hotmem::serve

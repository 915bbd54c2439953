// One deployed function: its N:1 VM (a Deployment in the function's memory
// mode) and the autoscaler in front of it.
//
// Autoscaling: an invocation takes an idle instance; when none is idle and
// fewer than N exist, it starts one (its memory plugged through the mode, a
// cold start); otherwise it waits its turn, first come first served. An
// instance idle for keep_alive is stopped and its memory reclaimed through
// the mode (for hotmem: its partition unplugged, nothing migrated).
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
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "host/deployment.h"
#include "serve/function_spec.h"
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

class ServedFunction {
 public:
  // Boots the function's VM (slow: seconds to a minute under TCG).
  static Result<std::shared_ptr<ServedFunction>> deploy(const FunctionSpec& spec, const host::FunctionVmConfig& vm,
                                                        Metrics& metrics);
  ~ServedFunction();
  ServedFunction(const ServedFunction&) = delete;
  ServedFunction& operator=(const ServedFunction&) = delete;

  // Runs the action with {"value": params}; waits at most `timeout` in all.
  // Errors have a kind and a reason: kUnavailable "no instance free" (none
  // became free in time), "function unavailable" (an instance could not
  // start or be reached, or the function is being deleted), "function VM
  // failed"; kGuestMisbehaved "the action failed" (it answered non-2xx) or
  // "bad answer from the action" (not a JSON object).
  Result<InvocationResult> invoke(const json& params, Clock::duration timeout);
  json describe();
  const FunctionSpec& spec() const { return spec_; }
  // QEMU's resident memory now (0 once the VM is gone).
  std::uint64_t rss_bytes();
  // Why the VM failed; empty while it is healthy.
  std::optional<std::string> failure();
  // Instances the guest agent still knows of (leak checks).
  Result<std::size_t> guest_instance_count();

  // Stops the reaper, fails queued invocations and stops the VM (QEMU ends
  // at once; invocations in flight fail). Idempotent.
  void shutdown();

 private:
  enum class SlotState { kStarting, kIdle, kBusy, kStopping };
  struct Slot {
    std::string instance;
    int port = 0;  // its action server's, once started
    SlotState state = SlotState::kStarting;
    Clock::time_point idle_since;
    std::uint64_t invocations = 0;
  };

  static const char* state_name(SlotState state);

  ServedFunction(FunctionSpec spec, Metrics& metrics) : spec_(std::move(spec)), metrics_(metrics) {}

  // Looks at the VM's health (with `probe`, the agent must answer a ping).
  // The first time it is not healthy (the deployment has then ended QEMU):
  // records why, drops idle instances and wakes the queue. Returns the failure.
  std::optional<std::string> check_vm(bool probe);
  Error vm_failed(const std::string& why) const;
  // Retires the instances (the slots are kStopping) and counts what came back.
  void retire(const std::vector<Slot*>& slots, const char* why);
  void reap_loop();

  FunctionSpec spec_;
  Metrics& metrics_;
  std::unique_ptr<host::Deployment> deployment_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::list<Slot> slots_;  // stable addresses
  std::deque<std::uint64_t> queue_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t next_instance_ = 0;
  bool closing_ = false;
  std::optional<std::string> failure_;
  Clock::time_point last_probe_{};
  std::thread reaper_;
};

// Whether a function's state (describe(), or GET /v1/functions/{name}) shows
// it idle: no instance, and every partition (hotmem mode) empty.
bool is_idle(const json& described);

}  // namespace hotmem::serve

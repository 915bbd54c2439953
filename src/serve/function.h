// A deployed function as the registry and the API see it, whatever its
// model: N:1 (ServedFunction: N instances share one VM, memory plugged per
// instance) or 1:1 (OneToOneFunction: one VM per instance, booted on its
// cold start). Both take their memory from the host's budget and let the
// broker evict their idle instances (MemoryTenant).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "host/deployment.h"
#include "serve/activation.h"
#include "serve/function_spec.h"
#include "serve/memory_broker.h"
#include "serve/metrics.h"
#include "serve/recent_latencies.h"
#include "serve/vm_recovery.h"

namespace hotmem::serve {

struct InvocationResult {
  int status = 0;  // the action's HTTP status
  json result;     // its answer
  bool cold = false;
  std::string instance;
  Clock::duration queued{};      // waiting for an instance
  Clock::duration cold_start{};  // starting one (plug, or for 1:1 the VM's boot, included), when cold
  Clock::duration plug{};        // of which plugging its memory (N:1)
  Clock::duration boot{};        // of which booting its VM (1:1)
  Clock::duration execution{};   // the action, as the guest timed it
  Clock::duration total{};
  std::string activation_id;  // once recorded (record_invocation)
  json to_json() const;
};

// An invocation's result from the action's answer: its status, result and
// times (the rest of `out` as the model filled it in), counted in the
// metrics and the function's recent latencies; an error when the action
// failed or did not answer JSON. The trace gets what the action answered
// and wrote, either way.
Result<InvocationResult> finish_invocation(const host::ActionAnswer& answer, Clock::time_point arrived,
                                           InvocationResult out, Metrics& metrics, const std::string& function,
                                           RecentLatencies& latencies, ActivationTrace& trace);

// How long an action's /run may take: what is left before the invocation's
// `deadline` (at least 1 s), or the trace's run limit when that is less.
Clock::duration run_allowance(Clock::time_point deadline, const ActivationTrace& trace);

// The error of a /run on `instance` that got no answer (`e`) while its VM is
// sound: kActionTimedOut when it ran for the trace's whole run limit
// (OpenWhisk's words), else the function's own failure.
Error run_failure(const Error& e, Clock::duration ran, const ActivationTrace& trace, const std::string& instance);

class Function : public MemoryTenant {
 public:
  // Runs the action with {"value": params}; waits at most `timeout` in all.
  // Errors have a kind and a reason (served_function.h lists them). The
  // trace asks for the action's logs and gets what the invocation got to
  // (its instance, the action's answer and logs), whether it fails or not.
  virtual Result<InvocationResult> invoke(const json& params, Clock::duration timeout, ActivationTrace& trace) = 0;
  // The same without logs, for callers that keep no record.
  Result<InvocationResult> invoke(const json& params, Clock::duration timeout) {
    ActivationTrace trace;
    return invoke(params, timeout, trace);
  }
  // {"function": spec, "state", "instances": [...], "latency": RecentLatencies,
  // ...}; serve::is_idle reads it.
  virtual json describe() = 0;
  virtual const FunctionSpec& spec() const = 0;
  // QEMU's resident memory now, of all its VMs (0 when none runs).
  virtual std::uint64_t rss_bytes() = 0;
  // Ready, recovering or crash-looping (a 1:1 function is always ready: a
  // failed VM takes only its instance with it).
  virtual VmState state() = 0;
  // The most instances it had at once.
  virtual std::size_t peak_instances() = 0;
  // Ends every VM at once and fails what waits; idempotent.
  virtual void shutdown() = 0;

  std::uint64_t resident_bytes() override { return rss_bytes(); }
};

// The VM a function's spec describes, from the template `vm`: its memory
// mode, N instances of its memory limit, its vCPUs and its action (a 1:1
// function's VMs are made from it by host::one_to_one_spec).
host::DeploymentSpec deployment_spec(const FunctionSpec& spec, const host::FunctionVmConfig& vm);

// Admits and deploys a function of the spec's model (an N:1 VM boots now; a
// 1:1 function boots a VM per cold start). `vm` is the template of its VMs.
Result<std::shared_ptr<Function>> deploy_function(const FunctionSpec& spec, const host::FunctionVmConfig& vm,
                                                  Metrics& metrics, MemoryBroker& broker, RecoveryConfig recovery = {},
                                                  host::DirtyPolicy dirty = host::DirtyPolicy::kMigrate);

// Whether a function's state (describe(), or GET /v1/functions/{name}) shows
// it idle: no instance, and every partition (hotmem mode) empty.
bool is_idle(const json& described);

}  // namespace hotmem::serve

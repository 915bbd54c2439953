#include "serve/function.h"

#include <algorithm>

#include <fmt/format.h>

#include "serve/one_to_one_function.h"
#include "serve/served_function.h"

namespace hotmem::serve {

json InvocationResult::to_json() const {
  return json{{"status", status},
              {"result", result},
              {"cold_start", cold},
              {"instance", instance},
              {"activation_id", activation_id},
              {"timings_ms",
               {{"queued", to_ms(queued)}, {"cold_start", to_ms(cold_start)}, {"plug", to_ms(plug)},
                {"boot", to_ms(boot)}, {"execution", to_ms(execution)}, {"total", to_ms(total)}}}};
}

Result<InvocationResult> finish_invocation(const host::ActionAnswer& answer, Clock::time_point arrived,
                                           InvocationResult out, Metrics& metrics, const std::string& function,
                                           RecentLatencies& latencies, ActivationTrace& trace) {
  trace.answered = true;
  trace.action_status = answer.status;
  trace.result_bytes = answer.body.size();
  if (answer.body.size() <= trace.result_bytes_kept) trace.result_body = answer.body;
  trace.logs = answer.logs;
  // The agent counts the lines' times from when it sent the run.
  trace.run_began = WallClock::now() - std::chrono::duration_cast<WallClock::duration>(answer.elapsed);
  auto result = host::action_result(answer);
  if (!result) {
    metrics.add(kInvocationErrors, function);
    return result.error();
  }
  out.status = answer.status;
  out.result = std::move(*result);
  out.execution = answer.elapsed;
  const Clock::time_point ended = Clock::now();
  out.total = ended - arrived;
  metrics.add(kInvocations, function);
  metrics.observe_invocation(function, to_seconds(out.total));
  latencies.record(ended, out.total, out.cold);
  return out;
}

Clock::duration run_allowance(Clock::time_point deadline, const ActivationTrace& trace) {
  const auto left = std::max<Clock::duration>(deadline - Clock::now(), std::chrono::seconds(1));
  return trace.run_limit ? std::min(left, *trace.run_limit) : left;
}

Error run_failure(const Error& e, Clock::duration ran, const ActivationTrace& trace, const std::string& instance) {
  if (trace.run_limit && ran >= *trace.run_limit) {
    return Error(ErrorCode::kGuestMisbehaved,
                 fmt::format("The action exceeded its time limits of {} milliseconds.",
                             std::chrono::duration_cast<std::chrono::milliseconds>(*trace.run_limit).count()))
        .with_reason(kActionTimedOut);
  }
  return e.context("invoke " + instance).with_code(ErrorCode::kUnavailable).with_reason("function unavailable");
}

host::DeploymentSpec deployment_spec(const FunctionSpec& spec, const host::FunctionVmConfig& vm) {
  host::DeploymentSpec d;
  d.mode = spec.mode;
  d.shape.max_instances = spec.concurrency;
  d.shape.instance_bytes = spec.memory_mib * kMiB;
  d.vm = vm;
  d.vm.name = spec.name;
  d.vm.vcpus = spec.vcpus;
  host::ActionCode code;
  code.runtime = spec.runtime == "python" ? host::ActionCode::Runtime::kPython : host::ActionCode::Runtime::kNative;
  code.command = spec.command;
  code.code = spec.code;
  code.main = spec.main;
  code.binary = spec.binary;
  d.action = std::move(code);
  return d;
}

Result<std::shared_ptr<Function>> deploy_function(const FunctionSpec& spec, const host::FunctionVmConfig& vm,
                                                  Metrics& metrics, MemoryBroker& broker, RecoveryConfig recovery,
                                                  host::DirtyPolicy dirty) {
  if (spec.model == kOneToOne) {
    auto f = OneToOneFunction::deploy(spec, vm, metrics, broker);
    if (!f) return f.error();
    return std::shared_ptr<Function>(std::move(*f));
  }
  auto f = ServedFunction::deploy(spec, vm, metrics, broker, recovery, dirty);
  if (!f) return f.error();
  return std::shared_ptr<Function>(std::move(*f));
}

bool is_idle(const json& described) {
  if (!described.is_object() || !described.value("instances", json::array()).empty()) return false;
  const json memory = described.value("memory", json::object());
  if (!memory.is_object()) return false;
  for (const json& p : memory.value("partitions", json::array())) {
    if (!p.is_object() || !p.contains("state") || p["state"] != "empty") return false;
  }
  return true;
}

}  // namespace hotmem::serve

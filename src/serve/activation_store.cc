#include "serve/activation_store.h"

#include <algorithm>

#include <fmt/format.h>

namespace hotmem::serve {

Status check_activation_limits(const ActivationLimits& limits) {
  if (limits.per_function < 1 || limits.per_function > ActivationLimits::kMaxPerFunction) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("activations kept per function must be 1-{}, not {}",
                                                          ActivationLimits::kMaxPerFunction, limits.per_function));
  }
  if (limits.log_bytes > protocol::ActionLogs::kMaxBytes) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("an activation's log limit must be at most {} bytes, not {}",
                                                          protocol::ActionLogs::kMaxBytes, limits.log_bytes));
  }
  if (limits.result_bytes > ActivationLimits::kMaxResultBytes) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("an activation's result limit must be at most {} bytes, not {}",
                                                          ActivationLimits::kMaxResultBytes, limits.result_bytes));
  }
  return ok_status();
}

ActivationStore::ActivationStore(ActivationLimits limits) : limits_(limits), random_(std::random_device{}()) {}

std::string ActivationStore::new_id() {
  std::lock_guard lock(mutex_);
  return fmt::format("{:016x}{:016x}", random_(), random_());
}

bool ActivationStore::is_id(std::string_view id) {
  return id.size() == 32 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void ActivationStore::record(Activation activation) {
  std::lock_guard lock(mutex_);
  auto& ring = by_function_[activation.function];
  function_of_[activation.id] = activation.function;
  ring.push_back(std::move(activation));
  while (ring.size() > limits_.per_function) {
    function_of_.erase(ring.front().id);
    ring.pop_front();
  }
}

std::vector<Activation> ActivationStore::list(const std::string& function, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<Activation> newest;
  auto it = by_function_.find(function);
  if (it == by_function_.end()) return newest;
  for (auto r = it->second.rbegin(); r != it->second.rend() && newest.size() < limit; ++r) newest.push_back(*r);
  return newest;
}

std::vector<Activation> ActivationStore::list(const ActivationFilter& filter) const {
  std::lock_guard lock(mutex_);
  std::vector<const Activation*> picked;
  for (const auto& [function, ring] : by_function_) {
    if (filter.function && function != *filter.function) continue;
    for (const Activation& a : ring) {
      if (a.start >= filter.since && a.start <= filter.upto) picked.push_back(&a);
    }
  }
  std::stable_sort(picked.begin(), picked.end(),
                   [](const Activation* a, const Activation* b) { return a->start > b->start; });
  std::vector<Activation> newest;
  for (std::size_t i = filter.skip; i < picked.size() && newest.size() < filter.limit; ++i) newest.push_back(*picked[i]);
  return newest;
}

std::optional<Activation> ActivationStore::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto owner = function_of_.find(id);
  if (owner == function_of_.end()) return std::nullopt;
  const auto& ring = by_function_.at(owner->second);
  auto found = std::find_if(ring.begin(), ring.end(), [&id](const Activation& a) { return a.id == id; });
  if (found == ring.end()) return std::nullopt;
  return *found;
}

void ActivationStore::forget(const std::string& function) {
  std::lock_guard lock(mutex_);
  auto it = by_function_.find(function);
  if (it == by_function_.end()) return;
  for (const Activation& a : it->second) function_of_.erase(a.id);
  by_function_.erase(it);
}

Result<InvocationResult> record_invocation(Function& function, const json& params, Clock::duration timeout,
                                           ActivationStore& store, const std::string& id, const json& annotations,
                                           std::optional<Clock::duration> run_limit) {
  Activation a;
  a.id = id;
  a.annotations = annotations;
  a.function = function.spec().name;
  a.start = WallClock::now();
  ActivationTrace trace;
  trace.log_bytes = store.limits().log_bytes;
  trace.result_bytes_kept = store.limits().result_bytes;
  trace.run_limit = run_limit;
  Result<InvocationResult> outcome = function.invoke(params, timeout, trace);
  a.end = WallClock::now();
  a.cold = trace.cold;
  a.instance = trace.instance;
  if (trace.answered) {
    a.action_status = trace.action_status;
    a.result_bytes = trace.result_bytes;
    a.logs_truncated = format_logs(trace.logs, trace.run_began, store.limits().log_bytes, a.logs);
    if (trace.result_bytes > store.limits().result_bytes) {
      a.result = json{{"error", fmt::format("the result ({} bytes) is more than the daemon keeps (--activation-result-limit "
                                            "{})", trace.result_bytes, store.limits().result_bytes)}};
    } else if (json body = json::parse(trace.result_body, nullptr, false); body.is_object()) {
      a.result = std::move(body);
    }
  }
  if (outcome) {
    a.status = kActivationSuccess;
    a.waited = std::chrono::duration_cast<std::chrono::milliseconds>(outcome->queued);
    if (outcome->cold) a.init = std::chrono::duration_cast<std::chrono::milliseconds>(outcome->cold_start);
    outcome->activation_id = id;
  } else {
    const std::string& reason = outcome.error().reason();
    a.status = reason == "the action failed"                                        ? kActivationApplicationError
               : reason == "bad answer from the action" || reason == kActionTimedOut ? kActivationDeveloperError
                                                                                      : kActivationInternalError;
    a.error = reason.empty() ? outcome.error().message() : reason + ": " + outcome.error().message();
    a.error_code = outcome.error().code();
    if (!a.result.contains("error")) a.result = json{{"error", a.error}};
  }
  store.record(std::move(a));
  return outcome;
}

}  // namespace hotmem::serve

// The daemon's activation records, in memory: the last K of every function
// (a ring: the oldest goes when a new one comes), each one's log capped in
// bytes. Records outlive a redeploy of their function and go with its
// DELETE. Thread-safe.
//
// record_invocation runs an invocation and records it, whatever its end.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "serve/activation.h"
#include "serve/function.h"

namespace hotmem::serve {

struct ActivationLimits {
  static constexpr std::size_t kMaxPerFunction = 100000;
  std::size_t per_function = 100;   // records kept per function, 1-kMaxPerFunction
  std::size_t log_bytes = 64 * 1024;  // of log lines per activation, at most protocol::ActionLogs::kMaxBytes
  static constexpr std::size_t kMaxResultBytes = 1024 * 1024;
  std::size_t result_bytes = 64 * 1024;  // of its result kept per activation, at most kMaxResultBytes
};

// Whether the limits are within their bounds; says which is not.
Status check_activation_limits(const ActivationLimits& limits);

// Which records a listing wants: those of one function (or of all), that
// started within [since, upto], newest first, after skipping the newest
// `skip` of them, at most `limit`.
struct ActivationFilter {
  std::optional<std::string> function;
  WallClock::time_point since = WallClock::time_point::min();
  WallClock::time_point upto = WallClock::time_point::max();
  std::size_t skip = 0;
  std::size_t limit = 0;
};

class ActivationStore {
 public:
  explicit ActivationStore(ActivationLimits limits = {});

  const ActivationLimits& limits() const { return limits_; }
  // A fresh id: 32 random hex digits.
  std::string new_id();
  // Whether `id` has new_id's form (32 lowercase hex digits).
  static bool is_id(std::string_view id);
  // Keeps it, dropping its function's oldest beyond per_function.
  void record(Activation activation);
  // The function's newest `limit` records, newest first.
  std::vector<Activation> list(const std::string& function, std::size_t limit) const;
  // The records `filter` picks, newest first.
  std::vector<Activation> list(const ActivationFilter& filter) const;
  std::optional<Activation> find(const std::string& id) const;
  // Drops every record of the function.
  void forget(const std::string& function);

 private:
  ActivationLimits limits_;
  mutable std::mutex mutex_;
  std::mt19937_64 random_;
  std::map<std::string, std::deque<Activation>> by_function_;  // oldest first
  std::unordered_map<std::string, std::string> function_of_;   // id -> function
};

// Runs `function` with `params` (Function::invoke, bringing back up to the
// store's log limit of what the action wrote) and records the activation
// under `id`, answered or failed, with `annotations`. The result carries the id.
// A run limit (OpenWhisk's limits.timeout) bounds the action's own run
// (ActivationTrace::run_limit).
Result<InvocationResult> record_invocation(Function& function, const json& params, Clock::duration timeout,
                                           ActivationStore& store, const std::string& id,
                                           const json& annotations = json::object(),
                                           std::optional<Clock::duration> run_limit = std::nullopt);

}  // namespace hotmem::serve

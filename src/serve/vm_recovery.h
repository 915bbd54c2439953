// Whether and when a function's failed VM is booted again: the state of a
// function's VM (ready, recovering, crash-looping), exponential backoff
// between boots, and the crash loop that stops them.
//
// Every failure counts: the VM dying or misbehaving, and a reboot that does
// not come up. After the n-th failure within the window the next boot is
// due backoff_first * 2^(n-1) later, at most backoff_max; at
// crash_loop_failures failures within the window the VM is crash-looping
// and never booted again (the function must be deployed anew). With the
// defaults the waits are 1, 2, 4 and 8 s, and the 5th failure within 10
// minutes stops it.
//
// Pure state: the caller passes the time (tests need no clock) and
// serializes the calls (ServedFunction holds its lock).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace hotmem::serve {

struct RecoveryConfig {
  Clock::duration backoff_first = std::chrono::seconds(1);
  Clock::duration backoff_max = std::chrono::seconds(60);
  std::size_t crash_loop_failures = 5;  // 0 or 1: the first failure stops it
  Clock::duration crash_loop_window = std::chrono::minutes(10);
};

enum class VmState {
  kReady,         // serving
  kRecovering,    // failed; a boot is due or under way
  kCrashLooping,  // failed too often: no more boots
};
std::string_view to_string(VmState state);

struct VmFailure {
  Clock::time_point at;
  std::string reason;
};

class VmRecovery {
 public:
  explicit VmRecovery(RecoveryConfig config = {}) : config_(config) {}

  VmState state() const { return state_; }
  // The VM failed, or a boot to recover it did not come up, at `now`:
  // recovering, with the next boot due after the backoff, or crash-looping.
  VmState failed(Clock::time_point now, std::string reason);
  // A boot starts (recovering); counted in attempts().
  void attempting() { ++attempts_; }
  // The VM booted again and serves.
  void recovered();

  // When the next boot is due (while recovering).
  Clock::time_point next_attempt() const { return next_attempt_; }
  // Boots tried since the VM last served.
  std::size_t attempts() const { return attempts_; }
  // Times the VM came back.
  std::size_t recoveries() const { return recoveries_; }
  // The failures within the window, oldest first (at most crash_loop_failures).
  const std::deque<VmFailure>& failures() const { return failures_; }
  // The last failure's reason (empty if none).
  std::string last_reason() const { return failures_.empty() ? std::string() : failures_.back().reason; }
  // "3 failures within 600 s: <reason> (12.0 s ago); ..." for error details.
  std::string summary(Clock::time_point now) const;
  const RecoveryConfig& config() const { return config_; }

  // {"attempts", "recoveries", "next_attempt_in_s" (recovering),
  //  "failures": [{"reason", "at" (UTC, ISO 8601), "ago_s"}]};
  // `wall_now` is `now` on the wall clock, to date the failures.
  nlohmann::json to_json(Clock::time_point now, std::chrono::system_clock::time_point wall_now) const;

 private:
  RecoveryConfig config_;
  VmState state_ = VmState::kReady;
  std::deque<VmFailure> failures_;
  Clock::time_point next_attempt_{};
  std::size_t attempts_ = 0;
  std::size_t recoveries_ = 0;
};

}  // namespace hotmem::serve

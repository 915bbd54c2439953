// An activation record: one invocation of a function as the daemon
// remembers it, after OpenWhisk's: its id, when it ran, whether it was a
// cold start, on which instance, how it ended, how big its result was and
// the lines the action wrote on stdout and stderr meanwhile (up to its
// end-of-activation line, capped in bytes).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "protocol/agent_calls.h"

namespace hotmem::serve {

using nlohmann::json;
using WallClock = std::chrono::system_clock;

// How an activation ended (OpenWhisk's words): the action answered 2xx
// with a JSON object; it answered another status (it failed, say raised);
// its answer was not a JSON object; or it never ran or did not answer
// (no instance, its VM failed, ...: the daemon's side).
inline constexpr const char* kActivationSuccess = "success";
inline constexpr const char* kActivationApplicationError = "application error";
inline constexpr const char* kActivationDeveloperError = "action developer error";
inline constexpr const char* kActivationInternalError = "internal error";

// The reason of an invocation whose action ran out its run limit
// (ActivationTrace::run_limit): the action's fault, as in OpenWhisk.
inline constexpr const char* kActionTimedOut = "the action timed out";

// What a function fills in while it runs one invocation (Function::invoke),
// for its record: whatever it got to, whether the invocation succeeds or not.
struct ActivationTrace {
  std::size_t log_bytes = 0;  // in: how much of the action's output to bring back (0: none)
  std::size_t result_bytes_kept = 0;  // in: the longest answer body kept in `result_body`
  std::optional<Clock::duration> run_limit;  // in: the longest the action's run may take (none: no limit of its own)
  bool cold = false;
  std::string instance;  // empty until it has one
  bool answered = false;  // the action answered: the three fields below hold
  int action_status = 0;
  std::uint64_t result_bytes = 0;
  std::string result_body;  // the action's answer, when it answered at most result_bytes_kept bytes
  WallClock::time_point run_began{};  // when the action was sent the run (the logs' times count from it)
  protocol::ActionLogs logs;
};

struct Activation {
  std::string id;  // 32 lowercase hex digits
  std::string function;
  WallClock::time_point start{};
  WallClock::time_point end{};
  bool cold = false;
  std::string instance;
  std::string status;      // kActivation*
  int action_status = 0;   // the action's HTTP status; 0 when it did not answer
  std::uint64_t result_bytes = 0;
  // What it answered (a JSON object, or {"error": ...} when it did not
  // answer one, or answered more than the daemon keeps).
  json result = json::object();
  std::chrono::milliseconds waited{};  // for an instance (0 when it never got one)
  std::chrono::milliseconds init{};    // of which starting one, on a cold start
  json annotations = json::object();  // what the caller asked to keep with it (OpenWhisk's kind, path, ...)
  std::string error;       // why it failed; empty on success
  ErrorCode error_code = ErrorCode::kInternal;  // its kind, when it failed
  std::vector<std::string> logs;  // "<ISO 8601 time> stdout: <text>", OpenWhisk's format
  bool logs_truncated = false;

  // The record without its logs: {"activation_id", "function", "start",
  // "end" (ms since the epoch), "duration_ms", "cold_start", "instance",
  // "status", "action_status", "result_bytes", "error"?, "log_lines",
  // "logs_truncated"}.
  json summary() const;
  // The summary with "logs" and "result".
  json to_json() const;
};

// The record's log lines from what the agent carried back: each line
// stamped with its time (`began` plus its offset), at most `limit` bytes of
// them counted as protocol::ActionLogs does (the guest is not trusted to
// have kept to it); a truncated log ends with a line that says so. Returns
// whether it is truncated.
bool format_logs(const protocol::ActionLogs& logs, WallClock::time_point began, std::size_t limit,
                 std::vector<std::string>& out);

// Milliseconds since the epoch.
std::int64_t epoch_ms(WallClock::time_point t);

// "2026-11-29T11:23:25.123Z"
std::string iso_time(WallClock::time_point t);

}  // namespace hotmem::serve

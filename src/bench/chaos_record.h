// What `hotmem bench chaos` saw, and the figures it draws from it: every
// invocation's outcome, every fault injected, the failures grouped by their
// reason and how long each failed VM took to serve again.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/chaos_plan.h"
#include "common/clock.h"

namespace hotmem::bench {

struct InvocationOutcome {
  int function = 0;
  Clock::time_point sent{};
  Clock::time_point done{};
  bool ok = false;
  // Failed: the daemon's "error" and "detail" ({"error", "code", "detail"}).
  // An empty reason: the daemon gave none (no answer at all, a body that is
  // no error document, an answer that is not the one asked for); `detail`
  // then says what the client saw.
  std::string reason;
  std::string detail;
  bool probe = false;  // a fault's own invocation (silent-agent, oom)
};

struct FaultOutcome {
  FaultKind kind = FaultKind::kOom;
  int function = 0;
  Clock::time_point at{};  // injected: the kill, or the probe sent
  pid_t qemu_before = 0;
  pid_t qemu_after = 0;  // the function's QEMU once it served again (0: never seen)
  std::string probe;     // what the fault's own invocation got, if it had one
  std::string note;      // e.g. the fault drawn that this one replaced
  // From `at` to the return of the function's first successful invocation
  // sent after it (ChaosRecord::served_again); none when it did not serve
  // again in time.
  std::optional<Clock::duration> served_again_after;
};

// Thread-safe log of a run: clients add invocations, the injector faults.
class ChaosRecord {
 public:
  void add(InvocationOutcome outcome);
  void add(FaultOutcome fault);
  // The first invocation of `function` sent at or after `since` that
  // succeeded (faults' own excluded): when it returned.
  std::optional<Clock::time_point> served_again(int function, Clock::time_point since) const;
  // How many of `function`'s invocations have succeeded so far.
  std::size_t answered(int function) const;
  std::vector<InvocationOutcome> invocations() const;
  std::vector<FaultOutcome> faults() const;

 private:
  mutable std::mutex mutex_;
  std::vector<InvocationOutcome> invocations_;
  std::vector<FaultOutcome> faults_;
};

// A failure's detail with every run of digits as "N", so failures of one
// cause group together (pids, instance numbers, seconds differ).
std::string detail_pattern(const std::string& detail);

// The failures grouped by reason, most frequent first, each with its
// details' patterns and their counts:
// [{"reason", "count", "details": [{"detail", "count"}]}]. A failure
// without a reason is under "" (no reason).
nlohmann::json failures_by_reason(const std::vector<InvocationOutcome>& invocations);

// The figures of a run (one row of the result file, docs/results-format.md):
// invocations answered and failed, failures by reason, faults by kind, VMs
// recovered and the seconds each took to serve again (from the fault to the
// return of the first successful invocation sent after it), the worst, and
// a line per fault. `names` are the functions' names, `began` when the
// chaos began.
nlohmann::json summarize(const std::vector<InvocationOutcome>& invocations, const std::vector<FaultOutcome>& faults,
                         const std::vector<std::string>& names, Clock::time_point began);

}  // namespace hotmem::bench

#include "bench/chaos_plan.h"

#include <algorithm>

namespace hotmem::bench {

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKillQemu: return "kill-qemu";
    case FaultKind::kSilentAgent: return "silent-agent";
    case FaultKind::kOom: return "oom";
  }
  return "?";
}

bool fails_vm(FaultKind kind) { return kind != FaultKind::kOom; }

FaultPlan::FaultPlan(std::uint64_t seed, int functions, Clock::duration min_pause, Clock::duration max_pause)
    : random_(seed), functions_(std::max(functions, 1)), min_pause_(min_pause), max_pause_(std::max(min_pause, max_pause)) {}

PlannedFault FaultPlan::next() {
  if (round_.empty()) {
    round_.assign(std::begin(kFaultKinds), std::end(kFaultKinds));
    // std::shuffle's algorithm is the library's own; draw the order by hand
    // so a seed means the same faults with any standard library.
    for (std::size_t i = round_.size() - 1; i > 0; --i) {
      std::swap(round_[i], round_[random_() % (i + 1)]);
    }
  }
  PlannedFault fault;
  fault.kind = round_.back();
  round_.pop_back();
  fault.function = static_cast<int>(random_() % static_cast<std::uint64_t>(functions_));
  const auto lo = std::chrono::duration_cast<Millis>(min_pause_).count();
  const auto hi = std::chrono::duration_cast<Millis>(max_pause_).count();
  fault.pause = Millis(lo + static_cast<Millis::rep>(random_() % static_cast<std::uint64_t>(hi - lo + 1)));
  return fault;
}

}  // namespace hotmem::bench

// The faults `hotmem bench chaos` injects, drawn from a seed: which kind,
// at which function, after which pause. The same seed draws the same
// faults in the same order.
//
// The kinds come in rounds, each kind once per round in a drawn order, so
// even a short run meets every kind; the function and the pause before
// each fault are drawn at random.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace hotmem::bench {

enum class FaultKind {
  kKillQemu,     // SIGKILL to the function's QEMU
  kSilentAgent,  // the guest agent stops reading and answering (hostile "silent")
  kOom,          // an invocation touches more than its partition holds: its instance is OOM-killed
};
inline constexpr FaultKind kFaultKinds[] = {FaultKind::kKillQemu, FaultKind::kSilentAgent, FaultKind::kOom};

// "kill-qemu", "silent-agent", "oom".
std::string_view to_string(FaultKind kind);

// Whether the fault fails the function's VM (it is then booted again).
bool fails_vm(FaultKind kind);

struct PlannedFault {
  FaultKind kind = FaultKind::kOom;
  int function = 0;  // 0 .. functions-1
  Clock::duration pause{};  // before it
};

class FaultPlan {
 public:
  // Pauses are drawn uniformly in [min_pause, max_pause], in whole ms.
  FaultPlan(std::uint64_t seed, int functions, Clock::duration min_pause, Clock::duration max_pause);

  PlannedFault next();

 private:
  std::mt19937_64 random_;
  int functions_;
  Clock::duration min_pause_;
  Clock::duration max_pause_;
  std::vector<FaultKind> round_;  // what is left of the current round, last first
};

}  // namespace hotmem::bench

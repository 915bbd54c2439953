// Time helpers: one clock for all durations, and deadlines for bounded waits.
#pragma once

#include <algorithm>
#include <chrono>

namespace hotmem {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

inline double to_ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

inline double to_seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class Deadline {
 public:
  explicit Deadline(Clock::duration budget) : end_(Clock::now() + budget) {}

  bool expired() const { return Clock::now() >= end_; }
  Clock::duration remaining() const {
    return std::max(Clock::duration::zero(), end_ - Clock::now());
  }
  // Remaining time as a poll(2) timeout in ms, never negative, capped at `cap`.
  int poll_timeout_ms(Millis cap = Millis(1000)) const {
    auto ms = std::chrono::ceil<Millis>(remaining());
    return static_cast<int>(std::min(ms, cap).count());
  }

 private:
  Clock::time_point end_;
};

}  // namespace hotmem

// What the host memory budget had committed over the last five minutes, as
// GET /v1/memory shows it ("history") and the dashboard charts it: a
// sample per second in which it changed, with the value at the end of that
// second and the peak within it (a cold start that commits and gives back
// within the second still shows). Seconds without a change have no sample:
// the value held. Not thread-safe: the broker records under its lock.
#pragma once

#include <cstdint>
#include <deque>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace hotmem::serve {

class CommittedHistory {
 public:
  static constexpr Clock::duration kWindow = std::chrono::minutes(5);
  static constexpr Clock::duration kResolution = std::chrono::seconds(1);

  // The committed bytes are `bytes` from `at` on.
  void record(Clock::time_point at, std::uint64_t bytes);

  // {"window_s", "resolution_ms", "samples": [{"age_ms", "last_bytes",
  // "peak_bytes"}, oldest first]}: `age_ms` is how long before `now` the
  // sample's second began; the first sample may be older than the window
  // (what was committed when it began).
  nlohmann::json to_json(Clock::time_point now) const;

 private:
  struct Sample {
    Clock::time_point second;  // its start
    std::uint64_t last = 0;
    std::uint64_t peak = 0;
  };
  std::deque<Sample> samples_;  // oldest first
};

}  // namespace hotmem::serve

// The latencies of a function's last invocations, as GET
// /v1/functions/{name} shows them ("latency") and the dashboard charts
// them: those that ended in the last five minutes, at most kCapacity of
// them (the oldest go first). Only invocations that got the action's answer
// are recorded, with their total time (queued and cold start included).
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace hotmem::serve {

class RecentLatencies {
 public:
  static constexpr std::size_t kCapacity = 512;
  static constexpr Clock::duration kWindow = std::chrono::minutes(5);

  void record(Clock::time_point ended, Clock::duration total, bool cold);

  // {"window_s", "invocations" (every one recorded since the function was
  // deployed), "count" (in the window), "p50_ms", "p99_ms", "max_ms" (when
  // count > 0), "recent": [{"seq", "age_ms", "total_ms", "cold"}, oldest
  // first]}. `seq` numbers the invocations from 1, so a poller can tell the
  // ones it has seen; `age_ms` is how long before `now` it ended, so a
  // poller needs no clock of the daemon's.
  nlohmann::json to_json(Clock::time_point now) const;

 private:
  struct Sample {
    std::uint64_t seq = 0;
    Clock::time_point ended;
    Clock::duration total{};
    bool cold = false;
  };

  mutable std::mutex mutex_;
  std::deque<Sample> samples_;  // oldest first
  std::uint64_t recorded_ = 0;
};

}  // namespace hotmem::serve

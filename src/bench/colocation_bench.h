// `hotmem bench colocation` (the paper's Fig. 9): one VM with 2 vCPUs holds
// the instances of two functions: `serving` instances of a CPU- and
// memory-bound action in a closed loop, and `evicted` instances holding
// their memory, started in turns (so their memory interleaves). After a
// steady stretch every evicted instance retires at once through the normal
// path (stopped, its memory reclaimed by the mode). The metric: the serving
// instances' mean request latency in each second from `before_s` before to
// `after_s` after the eviction, and the worst second after it against the
// mean before, per mode. Each of `repeat` rounds starts on an empty VM.
//
// The requests are timed in the guest (the agent's serve workload, bucketed
// per 100 ms of its window); each window is placed on the host's clock by
// when the host opened it (a signal: well under a bucket late).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/experiment.h"
#include "bench/serving_instances.h"

namespace hotmem::bench {

struct ColocationConfig {
  std::vector<std::string> modes{"hotmem", "virtio-mem", "balloon"};
  int vcpus = 2;
  int serving = 4;
  int evicted = 4;
  WorkloadShape workload{256, 16, 32};  // every instance's partition, and what an evicted one touches
  std::uint64_t work_kib = 256;         // touched per request of a serving instance
  int before_s = 5;
  int after_s = 10;
  int repeat = 1;  // evictions per mode (the per-second means pool them)
  Clock::duration settle = std::chrono::seconds(2);

  int steps() const { return static_cast<int>(modes.size()) * repeat; }
};

Status validate(const ColocationConfig& config);
Result<nlohmann::json> run_colocation_bench(const ColocationConfig& config, const ExperimentContext& context);
std::string format_colocation_table(const nlohmann::json& document);

// The requests that ended in each second around an event, and their summed
// latency, from the serving instances' bucketed windows.
class SecondsAroundEvent {
 public:
  // Seconds -before_s .. after_s - 1; second s spans [s, s + 1) s after the event.
  SecondsAroundEvent(int before_s, int after_s);
  // Adds a window that opened `opened` after the event (negative: before):
  // each bucket goes to the second its middle falls in; outside the seconds, nowhere.
  void add(const LatencyBuckets& window, Clock::duration opened);
  // Adds another's requests, second by second (the same seconds).
  void merge(const SecondsAroundEvent& other);

  int first() const { return -before_s_; }
  int last() const { return after_s_ - 1; }
  std::uint64_t requests(int second) const;
  // The mean latency of the requests of a second; NaN when none ended in it.
  double mean_ms(int second) const;
  // Over every request of the seconds before the event; NaN when none.
  double mean_before_ms() const;
  // The highest per-second mean among the seconds [from, to]; NaN when none has requests.
  double worst_ms(int from, int to) const;

 private:
  int before_s_;
  int after_s_;
  std::vector<std::uint64_t> requests_;
  std::vector<double> sum_ms_;
};

}  // namespace hotmem::bench

// `hotmem bench plug`: the time to plug an instance's memory and cold-start
// the instance in it, against the same instance in a static VM whose memory
// is there from boot. Every mode's VM is booted first; then the starts take
// turns, one per mode in each round (the order rotating from round to
// round), so that a noisy stretch of the host hits every mode alike, and a
// mode's overhead over static is the median of its paired differences.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct PlugBenchConfig {
  std::vector<std::string> modes{"hotmem", "virtio-mem", "balloon", "static"};
  WorkloadShape workload{512};
  // What the cold-started instance touches while starting.
  std::uint64_t start_touch_mib = 64;
  // Rounds: starts per mode. Single starts move by tens of ms on this
  // machine (static's median moved 72 ms between two runs of 3); 15 give
  // quartiles that tell such noise from a difference.
  int repeat = 15;
  Clock::duration settle = std::chrono::seconds(1);

  // Measured steps, for the progress estimate.
  int steps() const { return static_cast<int>(modes.size()) * repeat; }
};

// Every mode's starts, in round order.
struct ModeStarts {
  std::string mode;
  std::vector<double> plug_ms;
  std::vector<double> start_ms;
};

// The result rows: per mode the medians and quartiles of plug and start
// times, every sample, and (when static ran) the median and quartiles of the
// paired differences from static's start in the same round.
nlohmann::json plug_rows(const std::vector<ModeStarts>& starts);

Result<nlohmann::json> run_plug_bench(const PlugBenchConfig& config, const ExperimentContext& context);
std::string format_plug_table(const nlohmann::json& document);

}  // namespace hotmem::bench

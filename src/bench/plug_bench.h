// `hotmem bench plug`: the time to plug an instance's memory and cold-start
// the instance in it, against the same instance in a static VM whose memory
// is there from boot.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct PlugBenchConfig {
  std::vector<std::string> modes{"hotmem", "virtio-mem", "balloon", "static"};
  WorkloadShape workload{512};
  // What the cold-started instance touches while starting.
  std::uint64_t start_touch_mib = 64;
  int repeat = 5;
  Clock::duration settle = std::chrono::seconds(1);

  // Measured steps, for the progress estimate.
  int steps() const { return static_cast<int>(modes.size()) * repeat; }
};

Result<nlohmann::json> run_plug_bench(const PlugBenchConfig& config, const ExperimentContext& context);
std::string format_plug_table(const nlohmann::json& document);

}  // namespace hotmem::bench

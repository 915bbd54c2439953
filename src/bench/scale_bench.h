// `hotmem bench scale`: one hotmem VM with many partitions (64 of 128 MiB
// by default), filled with running instances. Its boot time and the fill,
// then, for each k, `repeat` times: k instances spread over the start order
// end and their partitions are reclaimed at once (latency, guest CPU, pages
// migrated), and k fresh instances plug them again (each re-plug's latency,
// against the plugs of the fill on the fresh VM).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct ScaleBenchConfig {
  int partitions = 64;
  WorkloadShape workload{128, 16, 32};
  std::vector<int> reclaim_counts{1, 8, 32};
  int repeat = 3;
  Clock::duration settle = std::chrono::seconds(2);

  int steps() const { return static_cast<int>(reclaim_counts.size()) * repeat + 1; }
};

Status validate(const ScaleBenchConfig& config);
Result<nlohmann::json> run_scale_bench(const ScaleBenchConfig& config, const ExperimentContext& context);
// One row per k: the reclaim against k = 1's, the re-plugs against the fill's.
std::string format_scale_table(const nlohmann::json& document);

}  // namespace hotmem::bench

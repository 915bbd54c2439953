// `hotmem bench reclaim | sizes | utilization`: how fast each memory mode
// gives the memory of ended instances back to the host, how many pages it
// migrates on the way, what the guest's and the host's CPUs pay, and how much
// host memory really comes back.
//
// Per mode (and guest init_on_alloc setting) one VM with room for
// `instances` instances of `instance_mib`. For each reclaim size R and
// utilisation U it runs max(ceil(U * instances), r) instances, r = R /
// instance_mib; then, `repeat` times: lets them settle, stops r of them
// spread over the start order, reclaims their memory (measured), and starts
// r fresh ones.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct ReclaimBenchConfig {
  std::string benchmark = "reclaim";  // or "sizes", "utilization"
  std::vector<std::string> modes{"hotmem", "virtio-mem"};
  int instances = 10;
  WorkloadShape workload;
  std::vector<std::uint64_t> reclaim_mibs{2048};
  std::vector<double> utilizations{0.9};
  int repeat = 3;
  std::vector<int> init_on_alloc{0};
  // Idle time between filling the VM and stopping instances: in a FaaS
  // platform an instance ends after a keep-alive, never right after its
  // start, and a partition plugged a moment ago still has guest work in flight.
  Clock::duration settle = std::chrono::seconds(2);

  // Measured steps, for the progress estimate.
  int steps() const { return static_cast<int>(init_on_alloc.size() * modes.size() * reclaim_mibs.size() * utilizations.size()) * repeat; }
};

Status validate(const ReclaimBenchConfig& config);
Result<nlohmann::json> run_reclaim_bench(const ReclaimBenchConfig& config, const ExperimentContext& context);

// The results as a table for the terminal, with speed-up lines.
std::string format_reclaim_table(const nlohmann::json& document);

}  // namespace hotmem::bench

// `hotmem bench cpu`: the CPU time repeated reclaims cost, in the guest (per
// vCPU, /proc/stat) and on the host (QEMU's threads, ended ones included:
// /proc/<pid>/stat), per GiB reclaimed.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct CpuBenchConfig {
  std::vector<std::string> modes{"hotmem", "virtio-mem", "balloon"};
  int instances = 8;
  WorkloadShape workload{256};
  std::uint64_t reclaim_mib = 1024;
  double utilization = 0.9;
  int reclaims = 5;
  std::vector<int> init_on_alloc{0};
  Clock::duration settle = std::chrono::seconds(2);

  // Measured steps, for the progress estimate.
  int steps() const { return static_cast<int>(modes.size() * init_on_alloc.size()) * reclaims; }
};

Result<nlohmann::json> run_cpu_bench(const CpuBenchConfig& config, const ExperimentContext& context);
std::string format_cpu_table(const nlohmann::json& document);

}  // namespace hotmem::bench

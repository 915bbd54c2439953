// `hotmem bench interference`: a latency-sensitive instance (the agent's
// "serve" workload: a small memory request every 2 ms, each timed) keeps
// answering while the memory of other instances is reclaimed; its p50/p99
// during reclaims against idle, per mode.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct InterferenceConfig {
  std::vector<std::string> modes{"hotmem", "virtio-mem", "balloon"};
  int instances = 8;  // room in the VM, the serving instance included
  WorkloadShape workload{256};
  std::uint64_t reclaim_mib = 512;
  double utilization = 0.9;
  int windows = 5;  // idle windows and reclaim windows each
  Clock::duration idle_window = std::chrono::seconds(1);
  std::uint64_t serve_mib = 128;
  std::uint64_t serve_work_kib = 64;
  std::uint64_t serve_period_us = 2000;
  Clock::duration settle = std::chrono::seconds(2);

  // Measured steps, for the progress estimate.
  int steps() const { return static_cast<int>(modes.size()) * windows * 2; }
};

Result<nlohmann::json> run_interference_bench(const InterferenceConfig& config, const ExperimentContext& context);
std::string format_interference_table(const nlohmann::json& document);

}  // namespace hotmem::bench

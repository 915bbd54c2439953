// `hotmem bench reclaim`: how fast each memory mode gives the memory of
// ended instances back to the host, how many pages it migrates on the way,
// what the guest's CPU pays, and how much host memory really comes back.
//
// Per mode (and guest init_on_alloc setting) one VM with room for
// `instances` instances of `instance_mib`. For each utilisation U it runs
// max(ceil(U * instances), r) instances, r = reclaim_mib / instance_mib;
// then, `repeat` times: stop r instances spread over the start order, reclaim
// their memory (measured), start r fresh ones.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "host/function_vm.h"

namespace hotmem::bench {

struct ReclaimBenchConfig {
  std::vector<std::string> modes{"hotmem", "virtio-mem"};
  int instances = 10;
  std::uint64_t instance_mib = 512;  // an instance's memory limit
  std::uint64_t reclaim_mib = 2048;
  std::vector<double> utilizations{0.9};
  int repeat = 3;
  std::vector<int> init_on_alloc{0};
  // Each instance writes (instance_mib - headroom_mib - file_mib) MiB of
  // anonymous memory and file_mib MiB into its tmpfs scratch.
  std::uint64_t file_mib = 16;
  std::uint64_t headroom_mib = 32;
  // Idle time between filling the VM and stopping instances: in a FaaS
  // platform an instance ends after a keep-alive, never right after its
  // start, and a partition plugged a moment ago still has guest work in flight.
  Clock::duration settle = std::chrono::seconds(2);
  host::FunctionVmConfig vm;  // boot memory, vCPUs, accel, image
  std::function<void(const std::string&)> progress = [](const std::string&) {};
};

// Checks sizes fit together; says what to change.
Status validate(const ReclaimBenchConfig& config);

// Runs the benchmark; the JSON document holds "host", "config" and
// "results" (one entry per mode, init_on_alloc and utilisation).
Result<nlohmann::json> run_reclaim_bench(const ReclaimBenchConfig& config);

// The results as a table for the terminal, with speed-up lines.
std::string format_reclaim_table(const nlohmann::json& document);

}  // namespace hotmem::bench

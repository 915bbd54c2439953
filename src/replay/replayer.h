// Plays a replay plan against real function VMs, one memory mode at a time
// (the same arrivals for each), and measures what a platform operator sees:
// invocation latency (P50/P99, queueing and cold starts included), cold
// starts, and the host footprint: the summed RSS of the QEMU processes,
// sampled over time and integrated in GiB*s.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/function_vm.h"
#include "replay/replay_plan.h"

namespace hotmem::replay {

struct ReplayOptions {
  host::FunctionVmConfig vm;  // template of every function's VM
  Clock::duration sample_period = std::chrono::milliseconds(250);
  // Measured after the last arrival too, so the keep-alive reclaims count.
  Clock::duration tail = std::chrono::seconds(15);
  Clock::duration invoke_timeout = std::chrono::seconds(120);
  // Cap on the QEMU processes' host memory (cgroup memory.max), if any.
  std::optional<std::uint64_t> host_memory_max;
};

struct FootprintSample {
  double t_s = 0;
  std::uint64_t rss_bytes = 0;
};

struct ModeOutcome {
  std::string mode;
  std::uint64_t answered = 0;
  std::uint64_t failed = 0;
  std::uint64_t cold_starts = 0;
  std::vector<double> latencies_ms;  // answered invocations, in arrival order
  std::vector<std::string> errors;   // the first few
  double footprint_gib_s = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::vector<FootprintSample> samples;
  double migrated_pages = 0;
  double reclaims = 0;
  double latency_percentile_ms(double p) const;  // 0 when nothing was answered
  nlohmann::json to_json() const;
};

using ReplayProgress = std::function<void(const std::string& line)>;

Result<ModeOutcome> replay_mode(const ReplayPlan& plan, const std::string& mode, const ReplayOptions& options,
                                const ReplayProgress& progress);

}  // namespace hotmem::replay

// Plays a replay plan against real function VMs, one memory mode at a time
// (the same arrivals for each), and measures what a platform operator sees:
// invocation latency (P50/P99, queueing and cold starts included), cold
// starts, and the host footprint: the memory the VMs commit (as the memory
// budget accounts it) and the summed RSS of the QEMU processes, sampled
// over time and integrated in GiB*s. With a budget, the VMs share it as
// under `hotmem serve --memory-budget`: scale ups evict idle instances or
// wait for memory.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/function_vm.h"
#include "replay/footprint.h"
#include "replay/replay_plan.h"
#include "serve/memory_broker.h"

namespace hotmem::replay {

struct ReplayOptions {
  host::FunctionVmConfig vm;  // template of every function's VM
  Clock::duration sample_period = std::chrono::milliseconds(250);
  // Measured after the plan's length too, so the keep-alive reclaims count.
  // The footprint window is the plan's length plus this, for every mode.
  Clock::duration tail = std::chrono::seconds(15);
  Clock::duration invoke_timeout = std::chrono::seconds(120);
  // The host's memory budget for all the run's VMs (serve::MemoryBroker);
  // none: unlimited, committed memory is only measured.
  std::optional<std::uint64_t> budget_bytes;
  serve::ReclaimPolicy policy = serve::ReclaimPolicy::kSync;
  std::uint64_t slack_bytes = 512 * kMiB;  // harvest
  // Instances per VM, by function (the plan's when empty).
  std::vector<int> concurrency;
};

struct FunctionOutcome {
  std::string name;
  std::uint64_t answered = 0;
  std::uint64_t failed = 0;
  std::uint64_t cold_starts = 0;
  double evictions = 0;  // of its idle instances, to make room
  std::size_t peak_instances = 0;
  std::vector<double> latencies_ms;
  double latency_percentile_ms(double p) const;  // 0 when nothing was answered
  nlohmann::json to_json() const;
};

struct ModeOutcome {
  std::string mode;
  serve::ReclaimPolicy policy = serve::ReclaimPolicy::kSync;
  std::uint64_t budget_bytes = 0;  // 0: unlimited
  std::uint64_t answered = 0;
  std::uint64_t failed = 0;
  std::uint64_t cold_starts = 0;
  std::vector<double> latencies_ms;  // answered invocations, in arrival order
  std::vector<std::string> errors;   // the first few
  std::vector<FunctionOutcome> functions;
  // Integrated over the same window in every mode, [0, window_s]: the
  // plan's length plus the tail, whenever the mode's calls ended.
  double window_s = 0;
  double footprint_gib_s = 0;  // QEMU RSS integrated over the window
  double accounted_gib_s = 0;  // committed memory integrated over the window
  // When the last call was answered; past window_s, what the mode held
  // after the window is not in its footprint (the progress line says so).
  double calls_end_s = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::uint64_t peak_committed_bytes = 0;
  std::vector<FootprintSample> samples;
  double migrated_pages = 0;
  double reclaims = 0;
  double reclaimed_bytes = 0;
  double reclaim_seconds = 0;  // summed over the reclaims
  double evictions = 0;
  double memory_waits = 0;
  double memory_wait_seconds = 0;  // summed over the waits
  std::uint64_t vms_failed = 0;
  // "hotmem", "virtio-mem", "virtio-mem:harvest".
  std::string label() const;
  double latency_percentile_ms(double p) const;  // 0 when nothing was answered
  double reclaim_mib_per_s() const;              // 0 when nothing was reclaimed
  nlohmann::json to_json() const;
};

using ReplayProgress = std::function<void(const std::string& line)>;

Result<ModeOutcome> replay_mode(const ReplayPlan& plan, const std::string& mode, const ReplayOptions& options,
                                const ReplayProgress& progress);

}  // namespace hotmem::replay

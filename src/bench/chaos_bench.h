// `hotmem bench chaos`: faults on purpose, and bounded. The daemon's pieces
// run in this process (the memory budget, the function registry, the REST
// API on loopback) and serve two small functions in hotmem mode that client
// threads invoke in a loop through the API. Meanwhile faults drawn from a
// seed (chaos_plan.h) hit them one at a time, with pauses between: a
// function's QEMU SIGKILLed, its guest agent gone silent (the agent's
// test-only hostility, asked for by an invocation: agent/testing/hostile.h),
// an instance filling its partition past its limit (OOM-killed). After each
// the function must serve again: a failed VM is booted again by the daemon
// itself (serve/vm_recovery.h). Then every VM is shut down and what is left
// on the host counted (leftovers.h).
//
// A run passes (chaos_verdict) when every failed invocation carries the
// daemon's reason, every failed VM served again, each function went idle
// with every partition unplugged, and nothing is left: no QEMU process, no
// host cgroup, no run directory.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct ChaosConfig {
  double minutes = 10;  // of faults; booting, the last recovery and the shutdown come on top
  std::uint64_t seed = 1;
  bool quick = false;  // 2-5 s between faults instead of 10-30 s
  std::uint64_t instance_mib = 128;
  int concurrency = 2;            // instances per function
  int clients_per_function = 2;   // threads invoking it in a loop
  std::uint64_t touch_mib = 16;   // per invocation
  int hold_ms = 100;              // per invocation
  std::chrono::seconds keep_alive{2};
  Clock::duration invoke_timeout = std::chrono::seconds(60);
  // A failed VM whose function has not served again this long after the
  // fault has not recovered (the target is 70 s).
  Clock::duration recovery_bound = std::chrono::seconds(150);

  Clock::duration chaos_time() const;
  Clock::duration min_pause() const;
  Clock::duration max_pause() const;
  int steps() const;  // for the progress display: one per 15 s of chaos
};

Status validate(const ChaosConfig& config);
Result<nlohmann::json> run_chaos_bench(const ChaosConfig& config, const ExperimentContext& context);
std::string format_chaos_table(const nlohmann::json& document);
// OK when the run passed (above); else what went wrong, one clause each.
Status chaos_verdict(const nlohmann::json& document);

}  // namespace hotmem::bench

// `hotmem bench soak`: a function scaled up and down again and again, with
// invocations in between, through the daemon's own autoscaler (a served
// function with keep-alive 0). Afterwards nothing may be left over: no
// partition plugged, no instance on the host or in the guest, no fd more
// than at the start, one QEMU per function; QEMU's RSS back near its
// baseline; and every invocation answered or failed with an error, none lost.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct SoakConfig {
  std::vector<std::string> modes{"hotmem", "virtio-mem"};
  int cycles = 500;
  int concurrency = 2;             // instances each scale-up starts
  std::uint64_t instance_mib = 128;
  std::uint64_t touch_mib = 32;    // per invocation
  int hold_ms = 200;               // per invocation
  Clock::duration invoke_timeout = std::chrono::seconds(120);
  Clock::duration idle_timeout = std::chrono::seconds(120);

  int steps() const { return static_cast<int>(modes.size()) * cycles; }
};

Status validate(const SoakConfig& config);
Result<nlohmann::json> run_soak_bench(const SoakConfig& config, const ExperimentContext& context);
std::string format_soak_table(const nlohmann::json& document);

}  // namespace hotmem::bench

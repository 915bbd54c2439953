// `hotmem bench floor`: how far hotmem's reclaim is from the least an unplug
// of the same size costs on this guest. In one hotmem VM, per size:
//   (a) unused: memory plugged for no instance, never touched, unplugged
//       through the same path as (b) (the floor): the virtio-mem driver's
//       unplug, or in a guest that zeroes on allocation the node taken
//       offline, then the device unplugged (host/modes/hotmem_mode.h);
//   (b) reclaim: the partitions of instances that touched their memory and
//       just ended, reclaimed as hotmem reclaims them;
//   (c) device: the part of (b) spent on the devices alone, after any
//       offlining (and the same part of (a)); without offlining, all of it.
// The two variants take turns (the order alternating from round to round),
// with the same neighbours running: the VM at `utilization` holds `running`
// instances before (b), and `running` - k instances plus k unused
// partitions before (a), k = size / instance_mib. The ratio (b)/(a) of the
// medians says how far hotmem is from the floor.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct FloorBenchConfig {
  int instances = 10;  // partitions in the VM
  WorkloadShape workload{512, 16, 32};
  std::vector<std::uint64_t> sizes_mib{512, 2048};
  double utilization = 0.9;  // the reclaim bench's default
  int repeat = 5;            // rounds: reclaims of each variant per size
  int init_on_alloc = 0;
  Clock::duration settle = std::chrono::seconds(2);

  int steps() const { return static_cast<int>(sizes_mib.size()) * repeat * 2; }
};

Status validate(const FloorBenchConfig& config);

// Instances running before a reclaim of `partitions` partitions (b): the
// utilisation's share of the VM, at least `partitions`.
std::size_t floor_running(const FloorBenchConfig& config, std::size_t partitions);

// Whether round `round` (1-based) measures the unused memory (a) first; the
// rounds alternate, so neither variant always follows the other.
bool unused_first(int round);

// One size's row from its samples (see docs/results-format.md).
nlohmann::json floor_row(std::uint64_t size_mib, std::size_t running, double utilization,
                         const std::vector<ReclaimSample>& unused, const std::vector<ReclaimSample>& reclaimed);

Result<nlohmann::json> run_floor_bench(const FloorBenchConfig& config, const ExperimentContext& context);
std::string format_floor_table(const nlohmann::json& document);

}  // namespace hotmem::bench

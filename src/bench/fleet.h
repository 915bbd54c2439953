// The moving parts every experiment shares: a deployment kept at a number
// of running memory-touching instances, and one measured reclaim.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/deployment.h"

namespace hotmem::bench {

// What each instance of the benchmark function does with its memory limit.
struct WorkloadShape {
  std::uint64_t instance_mib = 512;  // memory limit (one partition)
  std::uint64_t file_mib = 16;       // written to its tmpfs scratch
  std::uint64_t headroom_mib = 32;   // left untouched
  std::uint64_t anon_mib() const { return instance_mib - headroom_mib - file_mib; }
};

// Checks a VM of `count` partitions of `shape` (1-64 of whole memory
// blocks, each with room for the workload); `count_option` names the count's
// command-line option in the messages.
Status validate_partitions(int count, const WorkloadShape& shape, std::string_view count_option);
// The same for `instances`, and the sizes reclaimed
// at once in it: whole partitions, at most all of them. `option` names the
// sizes' command-line option in the messages.
Status validate_layout(int instances, const WorkloadShape& shape, const std::vector<std::uint64_t>& sizes_mib,
                       const std::string& option);

// What an instance of a fleet does when it is stopped.
enum class OnStop {
  kVerify,  // checks its memory first (exit 3 if it was disturbed)
  kExit,    // exits at once, as an idle instance would
};

// Keeps a deployment at a number of running instances, oldest first.
class Fleet {
 public:
  Fleet(host::Deployment& deployment, WorkloadShape shape, OnStop on_stop = OnStop::kVerify)
      : d_(deployment), shape_(shape), on_stop_(on_stop) {}

  // Starts instances until `count` run; what each start did goes to
  // `started`, when given.
  Status grow_to(std::size_t count, std::vector<host::StartedInstance>* started = nullptr);
  // Stops `count` instances spread evenly over the start order (so neither
  // the oldest nor the newest memory is favoured); their memory stays
  // granted until they are retired. Returns their names.
  Result<std::vector<std::string>> stop(std::size_t count);
  // Retires `count` instances, chosen as stop() does (stopped, then their
  // memory reclaimed at once).
  Result<host::RetireReport> retire(std::size_t count);
  // Retires instances until `count` run.
  Status shrink_to(std::size_t count);
  std::size_t size() const { return running_.size(); }

 private:
  std::vector<std::string> pick(std::size_t count) const;

  host::Deployment& d_;
  WorkloadShape shape_;
  OnStop on_stop_;
  std::vector<std::string> running_;
  int next_ = 0;
};

// One reclaim, measured from the guest's and the host's side (a retire's
// figures, as the experiments tabulate them).
struct ReclaimSample {
  double reclaim_ms = 0;
  double device_ms = 0;  // the part spent on the devices alone (hotmem: after offlining)
  bool dated_by_event = false;  // its end is QEMU's size-change event, not a poll
  std::uint64_t reclaimed_bytes = 0;
  std::uint64_t migrated_pages = 0;
  double rss_released_mib = 0;
  double guest_cpu_ms = 0;
  std::vector<double> guest_cpu_ms_per_vcpu;
  double host_cpu_ms = 0;  // QEMU's threads
  std::optional<std::uint64_t> vcpu_preemptions;  // host::RetireReport::vcpu_preemptions
};

// The figures of a retire that did all it was asked and measured all it did.
Result<ReclaimSample> sample_of(const host::RetireReport& report);
// Retires `victims` instances of the fleet: stops them and reclaims their memory.
Result<ReclaimSample> measure_reclaim(Fleet& fleet, std::size_t victims);
// Retires instances already stopped: reclaims their memory.
Result<ReclaimSample> measure_reclaim(host::Deployment& d, const std::vector<std::string>& stopped);

}  // namespace hotmem::bench

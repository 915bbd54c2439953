// The moving parts every experiment shares: a deployment kept at a number
// of running memory-touching instances, and one measured reclaim.
#pragma once

#include <string>
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

// Keeps a deployment at a number of running instances, oldest first.
class Fleet {
 public:
  Fleet(host::Deployment& deployment, WorkloadShape shape) : d_(deployment), shape_(shape) {}

  // Starts instances until `count` run.
  Status grow_to(std::size_t count);
  // Stops `count` instances spread evenly over the start order (so neither
  // the oldest nor the newest memory is favoured); does not reclaim.
  Result<std::vector<host::StoppedInstance>> stop(std::size_t count);
  // Stops and reclaims until `count` run (not measured).
  Status shrink_to(std::size_t count);
  std::size_t size() const { return running_.size(); }

 private:
  host::Deployment& d_;
  WorkloadShape shape_;
  std::vector<std::string> running_;
  int next_ = 0;
};

// One reclaim, measured from the guest's and the host's side.
struct ReclaimSample {
  double reclaim_ms = 0;
  std::uint64_t reclaimed_bytes = 0;
  std::uint64_t migrated_pages = 0;
  double rss_released_mib = 0;
  double guest_cpu_ms = 0;
  std::vector<double> guest_cpu_ms_per_vcpu;
  double host_cpu_ms = 0;  // QEMU's threads
};

// Stops `victims` instances of the fleet and reclaims their memory.
Result<ReclaimSample> measure_reclaim(host::Deployment& d, Fleet& fleet, std::size_t victims);
// Reclaims the memory of instances already stopped.
Result<ReclaimSample> measure_reclaim(host::Deployment& d, const std::vector<host::StoppedInstance>& stopped);

}  // namespace hotmem::bench

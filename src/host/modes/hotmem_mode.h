// hotmem mode: one partition per instance. Partition k is guest node k,
// filled only by its own virtio-mem device (ZONE_MOVABLE), and the instance
// is bound to it by its cgroup's cpuset.mems. An ended instance leaves its
// partition empty, so unplugging it needs no migration; the deployment
// checks that first, and sets aside (dirty) a partition that is not.
#pragma once

#include <functional>
#include <memory>

#include "host/memory_mode.h"
#include "host/partition_table.h"

namespace hotmem::host {

// Takes a partition node's memory offline in the guest before its device
// is unplugged (the agent's offline_node), giving up after `timeout`.
// Called from several threads at once, one per partition of a reclaim.
using NodeOffliner = std::function<Status(int node, Clock::duration timeout)>;
// Waits until the guest has removed `nodes` (their memory removed, the nodes
// gone from its report), so a new plug finds the partition as it was.
using NodesGone = std::function<Status(const std::vector<int>& nodes, Clock::duration timeout)>;

// What a reclaim asks of the guest (the agent's calls); tests fake them.
//
// A partition is unplugged by the virtio-mem driver straight away: it takes
// the free sub-blocks, unplugs them (QEMU has the memory back then) and
// removes the blocks afterwards. The reclaim then waits for the guest's
// removal (`gone`), so its guest CPU is counted and the node is empty when
// it returns; its latency ends when QEMU has the memory. Measured against
// taking the node offline through sysfs first (docs/benchmarks.md):
// - 64 partitions of 128 MiB, idle: memory back after 10-18 ms for one and
//   24-61 ms for 8 at once, against 195-581 and 225-807 ms;
// - 4 partitions of 256 MiB beside 4 instances serving in a closed loop on
//   2 vCPUs (bench colocation): 109 against 5274 ms (median of 3), where
//   the offlining, with the neighbours taking the vCPUs, once did not
//   finish in 10 s;
// - idle partitions of several blocks alone were faster offline first
//   (512 MiB 31.5 against 39.6 ms, 2 GiB 99.7 against 115.1 ms): not worth
//   the 50x when the VM is busy.
// In a guest that zeroes what it allocates, partitions are taken offline
// first (`offline`): the driver would zero every page it takes (4.7-5.7 s
// for 2 GiB).
struct HotmemGuest {
  NodeOffliner offline;
  NodesGone gone;
  bool zeroes_on_alloc = false;  // init_on_alloc=1
};

class HotmemMode final : public MemoryMode {
 public:
  using Guest = HotmemGuest;

  std::string name() const override { return "hotmem"; }
  void configure(FunctionVmConfig& config, const FunctionShape& shape) const override;
  Status attach(FunctionVm& vm, const FunctionShape& shape) override;
  // What attach(FunctionVm&) does, given the VM's parts: one partition per
  // device off node 0. `vmm` must outlive this mode. Lets tests use a fake VMM.
  Status attach(vmm::Vmm& vmm, const std::vector<vmm::MemoryDeviceSpec>& devices, const FunctionShape& shape,
                Guest guest = {});
  Result<Grant> begin_grant(const std::string& instance) override;
  Result<Clock::duration> finish_grant(const Grant& grant, Clock::duration timeout) override;
  Result<ReclaimResult> reclaim(const std::vector<Grant>& grants, Clock::duration timeout) override;
  Status set_aside(const Grant& grant, const std::string& why) override;
  // Every partition device's plugged size.
  Result<std::uint64_t> held_bytes() override;
  nlohmann::json describe() const override;

  const PartitionTable& partitions() const { return *table_; }

 private:
  Result<Partition> partition_of(const Grant& grant) const;
  // Broken partitions whose device the guest has emptied after all (an
  // unplug that finished late) become empty, and usable, again.
  void repair_clean_partitions();
  // Whether a reclaim takes its partitions' nodes offline before it
  // unplugs them (Guest: in a guest that zeroes on allocation).
  bool offline_first() const;

  vmm::Vmm* vmm_ = nullptr;
  Guest guest_;
  std::unique_ptr<PartitionTable> table_;
};

}  // namespace hotmem::host

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

class HotmemMode final : public MemoryMode {
 public:
  // Takes a partition node's memory offline in the guest before its device
  // is unplugged (the agent's offline_node), giving up after `timeout`.
  // Called from several threads at once, one per partition of a reclaim.
  using NodeOffliner = std::function<Status(int node, Clock::duration timeout)>;

  std::string name() const override { return "hotmem"; }
  void configure(FunctionVmConfig& config, const FunctionShape& shape) const override;
  Status attach(FunctionVm& vm, const FunctionShape& shape) override;
  // What attach(FunctionVm&) does, given the VM's parts: one partition per
  // device off node 0. `vmm` must outlive this mode. Lets tests use a fake VMM.
  Status attach(vmm::Vmm& vmm, const std::vector<vmm::MemoryDeviceSpec>& devices, const FunctionShape& shape,
                NodeOffliner offline = {});
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

  vmm::Vmm* vmm_ = nullptr;
  NodeOffliner offline_;
  std::unique_ptr<PartitionTable> table_;
};

}  // namespace hotmem::host

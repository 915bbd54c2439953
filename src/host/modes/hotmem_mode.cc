#include "host/modes/hotmem_mode.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hotmem::host {

void HotmemMode::configure(FunctionVmConfig& config, const FunctionShape& shape) const {
  for (int i = 0; i < shape.max_instances; ++i) add_partition_device(config, shape.partition_bytes());
}

Status HotmemMode::attach(FunctionVm& vm, const FunctionShape&) {
  std::vector<Partition> partitions;
  for (const vmm::MemoryDeviceSpec& d : vm.spec().memory_devices) {
    if (d.node == 0) continue;  // node 0 is the shared partition (boot memory)
    Partition p;
    p.index = static_cast<int>(partitions.size());
    p.node = d.node;
    p.device = d.id;
    p.bytes = d.max_bytes;
    partitions.push_back(std::move(p));
  }
  if (partitions.empty()) return Error("hotmem mode needs partition devices: configure the VM with this mode");
  vmm_ = &vm.vmm();
  table_ = std::make_unique<PartitionTable>(std::move(partitions));
  return ok_status();
}

Result<Grant> HotmemMode::begin_grant(const std::string& instance) {
  auto claimed = table_->claim(instance);
  if (!claimed) return claimed.error();
  Status asked = vmm_->request_memory_device_size(claimed->device, claimed->bytes);
  if (!asked) {
    (void)table_->move(claimed->index, PartitionState::kPlugging, PartitionState::kEmpty);
    return asked.error().context(fmt::format("plug partition {}", claimed->index));
  }
  return Grant{instance, claimed->bytes, claimed->node, claimed->index};
}

Result<Clock::duration> HotmemMode::finish_grant(const Grant& grant, Clock::duration timeout) {
  const Partition p = table_->get(grant.partition.value());
  auto waited = vmm_->wait_memory_device_size(p.device, p.bytes, timeout);
  if (waited) {
    if (Status s = table_->move(p.index, PartitionState::kPlugging, PartitionState::kReady); !s) return s.error();
    if (Status s = table_->move(p.index, PartitionState::kReady, PartitionState::kAssigned); !s) return s.error();
    return waited;
  }
  // The plug did not complete: take back what did arrive, so the partition
  // is empty (and reusable) again, or broken if even that fails.
  Error failure = waited.error().context(fmt::format("plug partition {} for '{}'", p.index, grant.instance));
  Status back = vmm_->request_memory_device_size(p.device, 0);
  auto emptied = back ? vmm_->wait_memory_device_size(p.device, 0, timeout) : Result<Clock::duration>(back.error());
  if (emptied) {
    (void)table_->move(p.index, PartitionState::kPlugging, PartitionState::kEmpty);
  } else {
    table_->mark_broken(p.index, failure.message() + "; rollback failed: " + emptied.error().message());
  }
  return failure;
}

Result<ReclaimResult> HotmemMode::reclaim(const std::vector<Grant>& grants, Clock::duration timeout) {
  ReclaimResult result;
  std::vector<Partition> unplugging;
  const auto start = Clock::now();
  // Ask every device first, so the guest unplugs the partitions in parallel.
  for (const Grant& g : grants) {
    const Partition p = table_->get(g.partition.value());
    if (Status s = table_->move(p.index, PartitionState::kAssigned, PartitionState::kDraining); !s) return s.error();
    if (Status s = table_->move(p.index, PartitionState::kDraining, PartitionState::kUnplugging); !s) return s.error();
    if (Status s = vmm_->request_memory_device_size(p.device, 0); !s) {
      table_->mark_broken(p.index, s.error().message());
      return s.error().context(fmt::format("unplug partition {}", p.index));
    }
    unplugging.push_back(p);
  }
  Deadline deadline(timeout);
  std::string failures;
  for (const Partition& p : unplugging) {
    auto waited = vmm_->wait_memory_device_size(p.device, 0, deadline.remaining());
    if (!waited) {
      table_->mark_broken(p.index, waited.error().message());
      failures += fmt::format("partition {}: {}; ", p.index, waited.error().message());
      continue;
    }
    (void)table_->move(p.index, PartitionState::kUnplugging, PartitionState::kEmpty);
    result.bytes += p.bytes;
  }
  result.latency = Clock::now() - start;
  if (!failures.empty()) return Error("reclaim incomplete: " + failures);
  return result;
}

nlohmann::json HotmemMode::describe() const {
  return nlohmann::json{{"mode", name()}, {"partitions", table_ ? table_->to_json() : nlohmann::json::array()}};
}

}  // namespace hotmem::host

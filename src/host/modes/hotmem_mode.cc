#include "host/modes/hotmem_mode.h"

#include <algorithm>
#include <future>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "host/guest_workloads.h"
#include "image/kernel_cmdline.h"

namespace hotmem::host {
namespace {

// How long the guest may take to offline a partition's (free) blocks.
constexpr auto kOfflineTimeout = std::chrono::seconds(10);

// Waiting for the guest to remove unplugged partitions' nodes: each look is
// a memory report (every node's meminfo, vmstat, stat), guest CPU taken from
// the instances still running. Measured beside two busy instances (bench
// colocation --serving 2 --evicted 2, TCG, 2 vCPUs, 5 evictions each): a
// look every 20 ms saw the nodes go after 60-1090 ms (4 of 5 above 700) and
// the neighbours' worst second after the eviction was 1.71x the mean before
// (median); without waiting at all 1.18x; every 200 ms, gone after
// 208-653 ms and 1.28x; backing off from 25 to 200 ms, gone after 35-640 ms
// and 1.18x. The machine was busy with builds: the ratios moved by +-0.3.
constexpr PollInterval kGonePolls{std::chrono::milliseconds(25), std::chrono::milliseconds(200)};
// How long a grant waits for the guest to finish removing a broken
// partition's node before it leaves that partition broken for now.
constexpr Clock::duration kRepairGoneWait = std::chrono::seconds(5);

}  // namespace

void HotmemMode::configure(FunctionVmConfig& config, const FunctionShape& shape) const {
  for (int i = 0; i < shape.max_instances; ++i) add_partition_device(config, shape.partition_bytes());
}

Status HotmemMode::attach(FunctionVm& vm, const FunctionShape& shape) {
  AgentClient* agent = &vm.agent();
  Guest guest;
  guest.offline = [agent](int node, Clock::duration timeout) { return agent->offline_node(node, timeout); };
  guest.gone = [agent](const std::vector<int>& nodes, Clock::duration timeout) -> Status {
    auto seen = wait_for_guest_memory(
        *agent,
        [&nodes](const protocol::GuestMemoryReport& r) {
          return std::none_of(nodes.begin(), nodes.end(), [&r](int node) { return r.nodes.contains(node); });
        },
        timeout, "the unplugged partitions' nodes gone", kGonePolls);
    if (!seen) return seen.error();
    return ok_status();
  };
  // Debian's kernel zeroes on allocation unless told otherwise.
  guest.zeroes_on_alloc = image::KernelCmdline::parse(vm.spec().cmdline).get("init_on_alloc").value_or("1") != "0";
  return attach(vm.vmm(), vm.spec().memory_devices, shape, std::move(guest));
}

Status HotmemMode::attach(vmm::Vmm& vmm, const std::vector<vmm::MemoryDeviceSpec>& devices, const FunctionShape&,
                          Guest guest) {
  std::vector<Partition> partitions;
  for (const vmm::MemoryDeviceSpec& d : devices) {
    if (d.node == 0) continue;  // node 0 is the shared partition (boot memory)
    Partition p;
    p.index = static_cast<int>(partitions.size());
    p.node = d.node;
    p.device = d.id;
    p.bytes = d.max_bytes;
    partitions.push_back(std::move(p));
  }
  if (partitions.empty()) return Error("hotmem mode needs partition devices: configure the VM with this mode");
  vmm_ = &vmm;
  guest_ = std::move(guest);
  table_ = std::make_unique<PartitionTable>(std::move(partitions));
  return ok_status();
}

bool HotmemMode::offline_first() const {
  return guest_.offline && guest_.zeroes_on_alloc;
}

void HotmemMode::repair_clean_partitions() {
  for (const Partition& p : table_->snapshot()) {
    if (p.state != PartitionState::kBroken) continue;
    auto device = vmm_->memory_device(p.device);
    if (!device || device->plugged_bytes != 0 || device->requested_bytes != 0) continue;
    // As after a reclaim, a new plug must find the node as it was: the
    // guest removes the blocks after QEMU has the memory back. Plugging the
    // node again meanwhile left it unusable for the next instance (its
    // MPOL_BIND refused, Faults.AnUnplug...).
    if (guest_.gone) {
      if (Status gone = guest_.gone({p.node}, kRepairGoneWait); !gone) {
        spdlog::debug("partition {} ({}) stays broken: {}", p.index, p.device, gone.error().message());
        continue;
      }
    }
    if (table_->move(p.index, PartitionState::kBroken, PartitionState::kEmpty)) {
      spdlog::info("partition {} ({}) is empty again after: {}", p.index, p.device, p.problem);
    }
  }
}

Result<Grant> HotmemMode::begin_grant(const std::string& instance) {
  if (!table_) return Error("hotmem mode is not attached to a VM");
  repair_clean_partitions();
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
  auto found = partition_of(grant);
  if (!found) return found.error().context("finish plug");
  const Partition p = *found;
  const auto start = Clock::now();
  auto reached = vmm_->wait_memory_device_size(p.device, p.bytes, timeout);
  if (reached) {
    if (Status s = table_->move(p.index, PartitionState::kPlugging, PartitionState::kReady); !s) return s.error();
    if (Status s = table_->move(p.index, PartitionState::kReady, PartitionState::kAssigned); !s) return s.error();
    return std::max(reached->at - start, Clock::duration::zero());  // done before the wait began: 0
  }
  // The plug did not complete: take back what did arrive, so the partition
  // is empty (and reusable) again, or broken if even that fails.
  Error failure = reached.error().context(fmt::format("plug partition {} for '{}'", p.index, grant.instance));
  Status back = vmm_->request_memory_device_size(p.device, 0);
  auto emptied = back ? vmm_->wait_memory_device_size(p.device, 0, timeout) : Result<vmm::SizeReached>(back.error());
  if (emptied) {
    (void)table_->move(p.index, PartitionState::kPlugging, PartitionState::kEmpty);
  } else {
    table_->mark_broken(p.index, failure.message() + "; rollback failed: " + emptied.error().message());
  }
  return failure;
}

Result<ReclaimResult> HotmemMode::reclaim(const std::vector<Grant>& grants, Clock::duration timeout) {
  // Check every grant before touching anything: a bad one must not leave
  // the others half-way through their life.
  std::vector<Partition> draining;
  for (const Grant& g : grants) {
    auto p = partition_of(g);
    if (!p) return p.error().context("reclaim");
    if (p->state != PartitionState::kAssigned && p->state != PartitionState::kDirty) {
      return Error(fmt::format("reclaim: partition {} of '{}' is {}, not assigned or dirty", p->index, g.instance,
                               to_string(p->state)));
    }
    for (const Partition& other : draining) {
      if (other.index == p->index) return Error(fmt::format("reclaim: partition {} named twice", p->index));
    }
    draining.push_back(*p);
  }
  const auto start = Clock::now();
  Deadline deadline(timeout);
  for (const Partition& p : draining) {
    if (Status s = table_->move(p.index, p.state, PartitionState::kDraining); !s) return s.error();
  }
  // Partitions in a guest that zeroes what it allocates are taken offline
  // first (see Guest): their pages are free
  // (the deployment checked), so offlining moves and zeroes nothing, and
  // virtio-mem then unplugs offline blocks without fake-offlining them.
  // Pages still in use there (a dirty partition's) are migrated to other
  // nodes; one that cannot be moved makes offlining time out.
  //
  // All at once: the agent takes each node offline in a process of its own,
  // so the round trips overlap; the guest kernel still takes the blocks one
  // at a time (mem_hotplug_lock). Measured while 128 MiB partitions still
  // came this way, 8 of them in a 40-partition VM (TCG): 0.7-1.0 s at once
  // against 1.2-1.3 s one after the other.
  std::map<int, std::string> not_offline;
  const bool offlining = offline_first();
  if (offlining) {
    const auto budget = std::min<Clock::duration>(kOfflineTimeout, deadline.remaining() / 2);
    std::vector<std::future<Status>> offlined;
    for (const Partition& p : draining) {
      offlined.push_back(std::async(std::launch::async, guest_.offline, p.node, budget));
    }
    for (std::size_t i = 0; i < draining.size(); ++i) {
      const Partition& p = draining[i];
      if (Status s = offlined[i].get(); !s) {
        // Not fatal: the unplug below falls back to the driver's own path,
        // which migrates what it finds; the result says so.
        spdlog::warn("partition {} (node {}) could not be taken offline: {}", p.index, p.node, s.error().message());
        not_offline[p.index] = s.error().message();
      }
    }
  }
  // Ask every device, so the guest unplugs the partitions in parallel; a
  // device that refuses breaks its partition only.
  std::string failures;
  std::vector<Partition> unplugging;
  const auto device_start = Clock::now();
  for (const Partition& p : draining) {
    (void)table_->move(p.index, PartitionState::kDraining, PartitionState::kUnplugging);
    if (Status s = vmm_->request_memory_device_size(p.device, 0); !s) {
      table_->mark_broken(p.index, s.error().message());
      failures += fmt::format("partition {}: {}; ", p.index, s.error().message());
      continue;
    }
    unplugging.push_back(p);
  }
  ReclaimResult result;
  std::vector<int> removing;  // nodes the driver unplugged by itself, to be removed by the guest
  auto end = device_start;    // when the last device reached 0
  result.dated_by_event = true;
  for (const Partition& p : unplugging) {
    auto reached = vmm_->wait_memory_device_size(p.device, 0, deadline.remaining());
    if (!reached) {
      std::string problem = reached.error().message();
      if (auto it = not_offline.find(p.index); it != not_offline.end()) {
        problem += fmt::format(" (taking node {} offline first failed: {})", p.node, it->second);
      }
      table_->mark_broken(p.index, problem);
      failures += fmt::format("partition {}: {}; ", p.index, problem);
      continue;
    }
    (void)table_->move(p.index, PartitionState::kUnplugging, PartitionState::kEmpty);
    end = std::max(end, reached->at);
    result.dated_by_event = result.dated_by_event && reached->by_event;
    result.bytes += p.bytes;
    if (!offlining) removing.push_back(p.node);
    if (auto it = not_offline.find(p.index); it != not_offline.end()) {
      result.fallbacks.emplace_back(p.instance, fmt::format("partition {} (node {}) was unplugged by the driver, "
                                                            "which migrates, after taking it offline failed: {}",
                                                            p.index, p.node, it->second));
    }
  }
  result.latency = end - start;
  result.device_latency = end - device_start;
  // QEMU has the memory; the guest removes the blocks the driver unplugged
  // by itself a moment later. Waited for, so the node is empty on return
  // and the guest's work is in the reclaim's CPU time; not a failure when
  // it takes longer (the host has the memory either way).
  if (!removing.empty() && guest_.gone) {
    if (Status s = guest_.gone(removing, std::max<Clock::duration>(deadline.remaining(), std::chrono::seconds(1)));
        !s) {
      spdlog::warn("the guest has not yet removed the memory of nodes {}: {}", fmt::join(removing, ", "),
                   s.error().message());
    }
  }
  if (!failures.empty()) return Error("reclaim incomplete: " + failures);
  return result;
}

Status HotmemMode::set_aside(const Grant& grant, const std::string& why) {
  auto p = partition_of(grant);
  if (!p) return p.error().context("set aside");
  return table_->mark_dirty(p->index, why);
}

Result<Partition> HotmemMode::partition_of(const Grant& grant) const {
  if (!table_) return Error("hotmem mode is not attached to a VM");
  if (!grant.partition) return Error(fmt::format("the grant of '{}' names no partition", grant.instance));
  auto p = table_->find(*grant.partition);
  if (!p) return Error(fmt::format("the grant of '{}' names partition {}, which does not exist", grant.instance,
                                   *grant.partition));
  return *p;
}

Result<std::uint64_t> HotmemMode::held_bytes() {
  if (!table_) return Error("hotmem mode is not attached to a VM");
  std::uint64_t held = 0;
  for (const Partition& p : table_->snapshot()) {
    auto device = vmm_->memory_device(p.device);
    if (!device) return device.error();
    held += device->plugged_bytes;
  }
  return held;
}

nlohmann::json HotmemMode::describe() const {
  return nlohmann::json{{"mode", name()}, {"partitions", table_ ? table_->to_json() : nlohmann::json::array()}};
}

}  // namespace hotmem::host

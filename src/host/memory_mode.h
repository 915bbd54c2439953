// Memory modes: how a function VM gets memory for a new instance and gives
// it back when the instance ends. One interface, one implementation per
// mode (host/modes/), selected by name; the rest of HotMem never asks which
// mode it runs.
//
//   hotmem      one partition (guest node + virtio-mem device) per instance;
//               an ended instance leaves an empty partition: unplug, no migration
//   virtio-mem  one device on node 0, instances unbound: the state of practice
//   balloon     all memory from boot; a virtio-balloon inflates by an
//               instance's share when it ends (balloon-fpr: with free page
//               reporting)
//   static      all memory from boot, never given back: the reference
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "host/function_vm.h"

namespace hotmem::host {

// What a function needs: N concurrent instances of a given memory limit.
struct FunctionShape {
  int max_instances = 4;
  std::uint64_t instance_bytes = 512 * kMiB;  // memory.max of one instance

  // The instance limit rounded up to whole guest memory blocks.
  std::uint64_t partition_bytes() const;
};

// The least boot memory (guest node 0) a VM laid out for `max_instances`
// instances works with, all its devices plugged and its instances running.
// Partitions are ZONE_MOVABLE, so every kernel allocation lands in node 0.
// Measured on the 6.1 guest (tests/e2e/scale_test.cc's VM, TCG, 2026-11-29):
//   - each node the VM has costs about 3 MiB from boot (per-node kernel state
//     and reservations): 70 MiB used at boot with 17 nodes, 192 MiB with 65;
//   - hotplugged memory needs its page structs in node 0: 64 bytes per 4 KiB
//     page, 2 MiB per 128 MiB partition;
//   - each running instance its page tables, cgroup and stacks, and about
//     50 KiB more per node (its memory cgroup's per-node state): 2.7 MiB in
//     all per 128 MiB instance with 17 nodes, 5.8 MiB with 65.
// With 512 MiB, adding the 40th partition of a 64-partition VM failed
// (ENOMEM: 2.3 MiB of node 0 free) and the guest's OOM killer then killed
// instances. With 64 MiB to spare, rounded up to 64 MiB: 768 MiB for 64
// partitions of 128 MiB, less than 512 MiB (unchanged) for 10.
std::uint64_t boot_bytes_needed(const FunctionVmConfig& config, int max_instances);

// Memory given to one instance.
struct Grant {
  std::string instance;
  std::uint64_t bytes = 0;
  std::optional<int> node;       // bind the instance to this node
  std::optional<int> partition;  // which partition (hotmem)
};

// What a function VM commits of the host's memory: with no instance (boot
// memory; for balloon what its floor leaves; for static everything), and
// what each instance adds (its partition, its share of the device or of the
// balloon; nothing for static). The memory budget's accounting.
struct MemoryCommitment {
  std::uint64_t idle_bytes = 0;
  std::uint64_t instance_bytes = 0;
};

struct ReclaimResult {
  std::uint64_t bytes = 0;
  // From setting the requested size to the VMM reporting it reached.
  Clock::duration latency{};
  // The part of it spent on the device alone, where the mode does guest
  // work before it asks the device (hotmem: after taking the partitions
  // offline); none where the whole latency is the device's.
  std::optional<Clock::duration> device_latency;
  // Whether its end is the VMM's own time of the last size change (QEMU's
  // MEMORY_DEVICE_SIZE_CHANGE event), not when a poll saw it.
  bool dated_by_event = false;
  // Instances whose memory the mode gave back by a path that may migrate
  // pages, and why (hotmem: a partition that could not be taken offline
  // first): {instance, why}.
  std::vector<std::pair<std::string, std::string>> fallbacks;
};

class MemoryMode {
 public:
  virtual ~MemoryMode() = default;

  virtual std::string name() const = 0;
  // Lays out the VM: boot memory, nodes and devices for this shape.
  virtual void configure(FunctionVmConfig& config, const FunctionShape& shape) const = 0;
  // Binds to the booted VM.
  virtual Status attach(FunctionVm& vm, const FunctionShape& shape) = 0;
  // The commitment of a VM that configure() laid out.
  virtual MemoryCommitment commitment(const FunctionVmConfig& configured, const FunctionShape& shape) const {
    return {configured.base_bytes, shape.partition_bytes()};
  }
  // What the instances' memory holds now beyond the idle commitment, as the
  // VMM reports it (a reclaim that timed out shows here until the guest
  // completes it).
  virtual Result<std::uint64_t> held_bytes() = 0;

  // Asks for one more instance's memory and returns at once; the instance's
  // sandbox can be prepared meanwhile.
  virtual Result<Grant> begin_grant(const std::string& instance) = 0;
  // Waits until the grant's memory is there; returns the plug latency.
  virtual Result<Clock::duration> finish_grant(const Grant& grant, Clock::duration timeout) = 0;
  // Gives back the memory of ended instances, whose sandboxes the agent has
  // already cleared (also of those set aside before).
  virtual Result<ReclaimResult> reclaim(const std::vector<Grant>& grants, Clock::duration timeout) = 0;
  // Sets aside the memory of an ended instance that left pages the agent
  // could not clear: kept, never reused, not given back until reclaim().
  // Only a grant with a node of its own can be, so a mode whose grants name
  // none has nothing to set aside.
  virtual Status set_aside(const Grant& grant, const std::string& why) {
    return Error(fmt::format("{} mode has no memory of its own per instance to set aside ('{}': {})", name(),
                             grant.instance, why));
  }

  // The mode's view for status output (e.g. every partition and its state).
  virtual nlohmann::json describe() const = 0;
};

std::vector<std::string> memory_mode_names();
Result<std::unique_ptr<MemoryMode>> make_memory_mode(std::string_view name);

}  // namespace hotmem::host

// The partitions of a hotmem-mode VM and the life each one goes through:
//
//   empty -> plugging -> ready -> assigned -> draining -> unplugging -> empty
//                                        \-> dirty -/
//
// plugging: its virtio-mem device was asked for the partition's size.
// ready: plugged, no instance yet. assigned: an instance runs in it.
// draining: the instance has ended; its node is being taken offline.
// unplugging: the device was asked for 0. dirty: its instance has gone but
// left memory there that the agent could not clear; kept plugged and never
// reused, until it is empty or the operator's policy lets it be unplugged
// with migration. broken: a transition could not complete (device refused
// or timed out); never reused until repaired.
//
// Thread-safe. Every transition names the state it expects, so two threads
// can never both move one partition, and an unexpected state is an Error.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hotmem::host {

enum class PartitionState { kEmpty, kPlugging, kReady, kAssigned, kDraining, kUnplugging, kDirty, kBroken };

const char* to_string(PartitionState state);

struct Partition {
  int index = 0;
  int node = 0;            // guest NUMA node
  std::string device;      // virtio-mem device id
  std::uint64_t bytes = 0; // size when plugged
  PartitionState state = PartitionState::kEmpty;
  std::string instance;    // while plugging..draining
  std::string problem;     // why it is dirty or broken
};

class PartitionTable {
 public:
  explicit PartitionTable(std::vector<Partition> partitions) : partitions_(std::move(partitions)) {}

  // empty -> plugging, for `instance`: the lowest-numbered empty partition.
  Result<Partition> claim(const std::string& instance);
  // Moves partition `index` from `from` to `to`; an Error if it is elsewhere.
  Status move(int index, PartitionState from, PartitionState to);
  // Any state -> broken, keeping the reason.
  void mark_broken(int index, std::string problem);
  // assigned -> dirty, keeping the reason.
  Status mark_dirty(int index, std::string problem);

  Partition get(int index) const;  // index must exist
  std::optional<Partition> find(int index) const;
  std::vector<Partition> snapshot() const;
  std::size_t count(PartitionState state) const;
  nlohmann::json to_json() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Partition> partitions_;
};

}  // namespace hotmem::host

#include "host/partition_table.h"

#include <algorithm>

#include <fmt/format.h>

namespace hotmem::host {

const char* to_string(PartitionState state) {
  switch (state) {
    case PartitionState::kEmpty: return "empty";
    case PartitionState::kPlugging: return "plugging";
    case PartitionState::kReady: return "ready";
    case PartitionState::kAssigned: return "assigned";
    case PartitionState::kDraining: return "draining";
    case PartitionState::kUnplugging: return "unplugging";
    case PartitionState::kDirty: return "dirty";
    case PartitionState::kBroken: return "broken";
  }
  return "?";
}

Result<Partition> PartitionTable::claim(const std::string& instance) {
  std::lock_guard lock(mutex_);
  for (Partition& p : partitions_) {
    if (p.state != PartitionState::kEmpty) continue;
    p.state = PartitionState::kPlugging;
    p.instance = instance;
    return p;
  }
  auto in = [this](PartitionState state) {
    return std::count_if(partitions_.begin(), partitions_.end(), [state](const Partition& p) { return p.state == state; });
  };
  std::string aside;
  if (const auto broken = in(PartitionState::kBroken)) aside += fmt::format(", {} broken", broken);
  if (const auto dirty = in(PartitionState::kDirty)) aside += fmt::format(", {} dirty", dirty);
  if (!aside.empty()) aside = " (" + aside.substr(2) + ")";
  return Error(ErrorCode::kResourceExhausted,
               fmt::format("no empty partition for instance '{}': all {} are in use{}", instance, partitions_.size(),
                           aside));
}

Status PartitionTable::move(int index, PartitionState from, PartitionState to) {
  std::lock_guard lock(mutex_);
  if (index < 0 || static_cast<std::size_t>(index) >= partitions_.size()) {
    return Error(fmt::format("no partition {}", index));
  }
  Partition& p = partitions_[static_cast<std::size_t>(index)];
  if (p.state != from) {
    return Error(fmt::format("partition {} is {}, not {} (cannot become {})", index, to_string(p.state),
                             to_string(from), to_string(to)));
  }
  p.state = to;
  if (to == PartitionState::kEmpty) p.instance.clear();
  if (from == PartitionState::kBroken || from == PartitionState::kDirty) p.problem.clear();  // repaired, emptied
  return ok_status();
}

void PartitionTable::mark_broken(int index, std::string problem) {
  std::lock_guard lock(mutex_);
  if (index < 0 || static_cast<std::size_t>(index) >= partitions_.size()) return;
  Partition& p = partitions_[static_cast<std::size_t>(index)];
  p.state = PartitionState::kBroken;
  p.problem = std::move(problem);
}

Status PartitionTable::mark_dirty(int index, std::string problem) {
  if (Status s = move(index, PartitionState::kAssigned, PartitionState::kDirty); !s) return s;
  std::lock_guard lock(mutex_);
  partitions_[static_cast<std::size_t>(index)].problem = std::move(problem);
  return ok_status();
}

Partition PartitionTable::get(int index) const {
  std::lock_guard lock(mutex_);
  return partitions_.at(static_cast<std::size_t>(index));
}

std::optional<Partition> PartitionTable::find(int index) const {
  std::lock_guard lock(mutex_);
  if (index < 0 || static_cast<std::size_t>(index) >= partitions_.size()) return std::nullopt;
  return partitions_[static_cast<std::size_t>(index)];
}

std::vector<Partition> PartitionTable::snapshot() const {
  std::lock_guard lock(mutex_);
  return partitions_;
}

std::size_t PartitionTable::count(PartitionState state) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(partitions_.begin(), partitions_.end(), [state](const Partition& p) { return p.state == state; }));
}

nlohmann::json PartitionTable::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const Partition& p : snapshot()) {
    nlohmann::json j{{"index", p.index}, {"node", p.node}, {"device", p.device}, {"bytes", p.bytes},
                     {"state", to_string(p.state)}};
    if (!p.instance.empty()) j["instance"] = p.instance;
    if (!p.problem.empty()) j["problem"] = p.problem;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace hotmem::host

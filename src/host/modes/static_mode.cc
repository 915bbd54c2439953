#include "host/modes/static_mode.h"

#include <fmt/format.h>

namespace hotmem::host {

void StaticMode::configure(FunctionVmConfig& config, const FunctionShape& shape) const {
  config.base_bytes += shape.partition_bytes() * static_cast<std::uint64_t>(shape.max_instances);
}

Status StaticMode::attach(FunctionVm&, const FunctionShape& shape) {
  capacity_ = shape.max_instances;
  return ok_status();
}

Result<Grant> StaticMode::begin_grant(const std::string& instance) {
  std::lock_guard lock(mutex_);
  if (granted_ >= capacity_) {
    return Error(ErrorCode::kResourceExhausted,
                 fmt::format("no room for instance '{}': all {} in use", instance, capacity_));
  }
  ++granted_;
  return Grant{instance, 0, std::nullopt, std::nullopt};
}

Result<Clock::duration> StaticMode::finish_grant(const Grant&, Clock::duration) { return Clock::duration::zero(); }

Result<ReclaimResult> StaticMode::reclaim(const std::vector<Grant>& grants, Clock::duration) {
  std::lock_guard lock(mutex_);
  granted_ -= static_cast<int>(std::min<std::size_t>(grants.size(), static_cast<std::size_t>(granted_)));
  return ReclaimResult{};
}

nlohmann::json StaticMode::describe() const {
  std::lock_guard lock(mutex_);
  return nlohmann::json{{"mode", name()}, {"instances", granted_}, {"capacity", capacity_}};
}

}  // namespace hotmem::host

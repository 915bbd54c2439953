#include "host/modes/balloon_mode.h"

#include <fmt/format.h>

#include "common/poll.h"

namespace hotmem::host {

void BalloonMode::configure(FunctionVmConfig& config, const FunctionShape& shape) const {
  config.base_bytes += shape.partition_bytes() * static_cast<std::uint64_t>(shape.max_instances);
  config.balloon = true;
  config.free_page_reporting = free_page_reporting_;
}

Status BalloonMode::attach(FunctionVm& vm, const FunctionShape& shape) {
  return attach(vm.vmm(), vm.spec().base_bytes, shape);
}

Status BalloonMode::attach(vmm::Vmm& vmm, std::uint64_t guest_bytes, const FunctionShape& shape) {
  vmm_ = &vmm;
  share_ = shape.partition_bytes();
  const std::uint64_t shares = share_ * static_cast<std::uint64_t>(shape.max_instances);
  if (guest_bytes <= shares) return Error("balloon mode: the VM holds no memory beyond the instances' shares");
  total_ = guest_bytes;
  floor_ = guest_bytes - shares;
  target_ = floor_;
  // Start as the other modes do: only boot memory in the guest's hands.
  if (Status s = vmm_->request_balloon_target(target_); !s) return s;
  auto inflated = wait_for(target_, false, kInitialInflateTimeout);
  if (!inflated) return inflated.error().context("inflate the balloon at boot");
  return ok_status();
}

MemoryCommitment BalloonMode::commitment(const FunctionVmConfig& configured, const FunctionShape& shape) const {
  const std::uint64_t shares = shape.partition_bytes() * static_cast<std::uint64_t>(shape.max_instances);
  return {configured.base_bytes - std::min(configured.base_bytes, shares), shape.partition_bytes()};
}

Result<std::uint64_t> BalloonMode::held_bytes() {
  if (!vmm_) return Error("balloon mode is not attached to a VM");
  auto actual = vmm_->balloon_actual();
  if (!actual) return actual.error();
  std::lock_guard lock(mutex_);
  return *actual - std::min(*actual, floor_);
}

Result<Clock::duration> BalloonMode::wait_for(std::uint64_t goal, bool growing, Clock::duration timeout) {
  std::uint64_t actual = 0;
  return poll_until(
      [&]() -> Result<bool> {
        auto a = vmm_->balloon_actual();
        if (!a) return a.error();
        actual = *a;
        return growing ? actual >= goal : actual <= goal;
      },
      timeout,
      [&] {
        return fmt::format("the guest holds {} behind its balloon, target {}: it did not {} in time",
                           format_size(actual), format_size(goal), growing ? "deflate" : "inflate");
      });
}

Result<Grant> BalloonMode::begin_grant(const std::string& instance) {
  std::lock_guard lock(mutex_);
  if (target_ + share_ > total_) {
    return Error(ErrorCode::kResourceExhausted,
                 fmt::format("no room for instance '{}': every share is in use", instance));
  }
  if (Status s = vmm_->request_balloon_target(target_ + share_); !s) return s.error();
  target_ += share_;
  return Grant{instance, share_, std::nullopt, std::nullopt};
}

Result<Clock::duration> BalloonMode::finish_grant(const Grant& grant, Clock::duration timeout) {
  std::uint64_t goal;
  {
    std::lock_guard lock(mutex_);
    goal = target_;
  }
  auto waited = wait_for(goal, true, timeout);
  if (!waited) {
    std::lock_guard lock(mutex_);
    target_ -= grant.bytes;
    (void)vmm_->request_balloon_target(target_);
    return waited.error().context(fmt::format("deflate for '{}'", grant.instance));
  }
  return waited;
}

Result<ReclaimResult> BalloonMode::reclaim(const std::vector<Grant>& grants, Clock::duration timeout) {
  std::uint64_t bytes = 0;
  for (const Grant& g : grants) bytes += g.bytes;
  std::uint64_t goal;
  const auto start = Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (target_ < floor_ + bytes) return Error("reclaim of more than the instances were given");
    goal = target_ - bytes;
    if (Status s = vmm_->request_balloon_target(goal); !s) return s.error();
    target_ = goal;
  }
  auto waited = wait_for(goal, false, timeout);
  if (!waited) return waited.error().context("reclaim");
  ReclaimResult result;
  result.bytes = bytes;
  result.latency = Clock::now() - start;
  return result;
}

nlohmann::json BalloonMode::describe() const {
  std::lock_guard lock(mutex_);
  return nlohmann::json{{"mode", name()},
                        {"free_page_reporting", free_page_reporting_},
                        {"target_bytes", target_},
                        {"floor_bytes", floor_},
                        {"total_bytes", total_}};
}

}  // namespace hotmem::host

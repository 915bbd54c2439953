#include "host/modes/virtio_mem_mode.h"

#include <fmt/format.h>

namespace hotmem::host {

void VirtioMemMode::configure(FunctionVmConfig& config, const FunctionShape& shape) const {
  config.memory_devices.push_back(
      {kDevice, 0, shape.partition_bytes() * static_cast<std::uint64_t>(shape.max_instances)});
}

Status VirtioMemMode::attach(FunctionVm& vm, const FunctionShape& shape) {
  return attach(vm.vmm(), vm.spec().memory_devices, shape);
}

Status VirtioMemMode::attach(vmm::Vmm& vmm, const std::vector<vmm::MemoryDeviceSpec>& devices,
                             const FunctionShape& shape) {
  for (const vmm::MemoryDeviceSpec& d : devices) {
    if (d.id == kDevice) max_ = d.max_bytes;
  }
  if (max_ == 0) return Error("virtio-mem mode needs device vmem0: configure the VM with this mode");
  vmm_ = &vmm;
  share_ = shape.partition_bytes();
  return ok_status();
}

Result<Grant> VirtioMemMode::begin_grant(const std::string& instance) {
  std::lock_guard lock(mutex_);
  if (target_ + share_ > max_) {
    return Error(ErrorCode::kResourceExhausted, fmt::format("no room for instance '{}': the device holds {} of {}",
                                                            instance, format_size(target_), format_size(max_)));
  }
  if (Status s = vmm_->request_memory_device_size(kDevice, target_ + share_); !s) return s.error();
  target_ += share_;
  return Grant{instance, share_, std::nullopt, std::nullopt};
}

Result<Clock::duration> VirtioMemMode::finish_grant(const Grant& grant, Clock::duration timeout) {
  std::uint64_t goal;
  {
    std::lock_guard lock(mutex_);
    goal = target_;
  }
  // Other grants may raise the target meanwhile: enough is enough.
  const auto start = Clock::now();
  auto reached = vmm_->wait_memory_device(kDevice, [goal](std::uint64_t size) { return size >= goal; }, timeout, goal);
  if (!reached) {
    std::lock_guard lock(mutex_);
    target_ -= grant.bytes;
    (void)vmm_->request_memory_device_size(kDevice, target_);
    return reached.error().context(fmt::format("plug for '{}'", grant.instance));
  }
  return std::max(reached->at - start, Clock::duration::zero());  // done before the wait began: 0
}

Result<ReclaimResult> VirtioMemMode::reclaim(const std::vector<Grant>& grants, Clock::duration timeout) {
  std::uint64_t bytes = 0;
  for (const Grant& g : grants) bytes += g.bytes;
  std::uint64_t goal;
  const auto start = Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (bytes > target_) return Error("reclaim of more than the device holds");
    goal = target_ - bytes;
    if (Status s = vmm_->request_memory_device_size(kDevice, goal); !s) return s.error();
    target_ = goal;
  }
  auto reached = vmm_->wait_memory_device(kDevice, [goal](std::uint64_t size) { return size <= goal; }, timeout, goal);
  if (!reached) return reached.error().context("reclaim");
  ReclaimResult result;
  result.bytes = bytes;
  result.latency = reached->at - start;
  result.dated_by_event = reached->by_event;
  return result;
}

Result<std::uint64_t> VirtioMemMode::held_bytes() {
  if (!vmm_) return Error("virtio-mem mode is not attached to a VM");
  auto device = vmm_->memory_device(kDevice);
  if (!device) return device.error();
  return device->plugged_bytes;
}

nlohmann::json VirtioMemMode::describe() const {
  std::lock_guard lock(mutex_);
  return nlohmann::json{{"mode", name()}, {"device", kDevice}, {"target_bytes", target_}, {"max_bytes", max_}};
}

}  // namespace hotmem::host

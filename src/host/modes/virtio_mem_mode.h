// virtio-mem mode, the state of practice: one virtio-mem device on node 0
// grows by an instance's share when it starts and shrinks by as much when it
// ends. Instances are not bound anywhere, so their pages interleave and the
// guest must migrate live neighbours' pages out of the blocks it unplugs.
#pragma once

#include <mutex>

#include "host/memory_mode.h"

namespace hotmem::host {

class VirtioMemMode final : public MemoryMode {
 public:
  static constexpr const char* kDevice = "vmem0";

  std::string name() const override { return "virtio-mem"; }
  void configure(FunctionVmConfig& config, const FunctionShape& shape) const override;
  Status attach(FunctionVm& vm, const FunctionShape& shape) override;
  // What attach(FunctionVm&) does, given the VM's parts: finds device vmem0.
  // `vmm` must outlive this mode. Lets tests use a fake VMM.
  Status attach(vmm::Vmm& vmm, const std::vector<vmm::MemoryDeviceSpec>& devices, const FunctionShape& shape);
  Result<Grant> begin_grant(const std::string& instance) override;
  Result<Clock::duration> finish_grant(const Grant& grant, Clock::duration timeout) override;
  Result<ReclaimResult> reclaim(const std::vector<Grant>& grants, Clock::duration timeout) override;
  // The device's plugged size.
  Result<std::uint64_t> held_bytes() override;
  nlohmann::json describe() const override;

 private:
  vmm::Vmm* vmm_ = nullptr;
  std::uint64_t share_ = 0;
  mutable std::mutex mutex_;
  std::uint64_t target_ = 0;  // what the device should hold now
  std::uint64_t max_ = 0;
};

}  // namespace hotmem::host

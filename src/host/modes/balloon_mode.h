// balloon mode: the VM boots with every instance's memory, and a
// virtio-balloon takes it away until an instance needs it. An instance's
// start deflates the balloon by its share; its end inflates it again, and
// the guest must find (and free, compact or migrate) pages to give back.
#pragma once

#include <mutex>

#include "host/memory_mode.h"

namespace hotmem::host {

class BalloonMode final : public MemoryMode {
 public:
  // Boot-time inflation of every instance's share can take long under TCG.
  static constexpr auto kInitialInflateTimeout = std::chrono::minutes(10);

  explicit BalloonMode(bool free_page_reporting = false) : free_page_reporting_(free_page_reporting) {}

  std::string name() const override { return free_page_reporting_ ? "balloon-fpr" : "balloon"; }
  void configure(FunctionVmConfig& config, const FunctionShape& shape) const override;
  Status attach(FunctionVm& vm, const FunctionShape& shape) override;
  // attach() given the VM's parts (tests use a fake VMM).
  Status attach(vmm::Vmm& vmm, std::uint64_t guest_bytes, const FunctionShape& shape);
  Result<Grant> begin_grant(const std::string& instance) override;
  Result<Clock::duration> finish_grant(const Grant& grant, Clock::duration timeout) override;
  Result<ReclaimResult> reclaim(const std::vector<Grant>& grants, Clock::duration timeout) override;
  // Boot memory less every share behind the balloon; a share per instance.
  MemoryCommitment commitment(const FunctionVmConfig& configured, const FunctionShape& shape) const override;
  // The guest's side of the balloon above its floor.
  Result<std::uint64_t> held_bytes() override;
  nlohmann::json describe() const override;

 private:
  Result<Clock::duration> wait_for(std::uint64_t goal, bool growing, Clock::duration timeout);

  bool free_page_reporting_;
  vmm::Vmm* vmm_ = nullptr;
  std::uint64_t share_ = 0;
  mutable std::mutex mutex_;
  std::uint64_t total_ = 0;   // guest memory with the balloon empty
  std::uint64_t floor_ = 0;   // with every share ballooned away
  std::uint64_t target_ = 0;  // what the guest should hold now
};

}  // namespace hotmem::host

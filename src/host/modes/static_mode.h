// static mode: every instance's memory is in the VM from boot and never
// given back: the over-provisioned reference the others are measured against.
#pragma once

#include <mutex>

#include "host/memory_mode.h"

namespace hotmem::host {

class StaticMode final : public MemoryMode {
 public:
  std::string name() const override { return "static"; }
  void configure(FunctionVmConfig& config, const FunctionShape& shape) const override;
  Status attach(FunctionVm& vm, const FunctionShape& shape) override;
  Result<Grant> begin_grant(const std::string& instance) override;
  Result<Clock::duration> finish_grant(const Grant& grant, Clock::duration timeout) override;
  // Gives nothing back (0 bytes, no time): the memory stays with the VM.
  Result<ReclaimResult> reclaim(const std::vector<Grant>& grants, Clock::duration timeout) override;
  // Everything is committed from boot; an instance adds nothing.
  MemoryCommitment commitment(const FunctionVmConfig& configured, const FunctionShape&) const override {
    return {configured.base_bytes, 0};
  }
  Result<std::uint64_t> held_bytes() override { return std::uint64_t{0}; }
  nlohmann::json describe() const override;

 private:
  mutable std::mutex mutex_;
  int capacity_ = 0;
  int granted_ = 0;
};

}  // namespace hotmem::host

#include "vmm/vmm.h"

#include <algorithm>

namespace hotmem::vmm {

Status Vmm::request_balloon_target(std::uint64_t) { return Error("this VM has no balloon device"); }

Result<std::uint64_t> Vmm::balloon_actual() { return Error("this VM has no balloon device"); }

Result<CpuPlacement> Vmm::cpu_placement() { return Error("this VMM does not tell where its threads run"); }

Result<std::uint64_t> Vmm::vcpu_preemptions() { return Error("this VMM does not tell how its vCPUs ran"); }

bool CpuPlacement::vcpus_apart() const {
  return std::none_of(vcpu_cores.begin(), vcpu_cores.end(), [this](int cpu) {
    return std::find(other_cores.begin(), other_cores.end(), cpu) != other_cores.end();
  });
}

Result<Clock::duration> resize_memory_device(Vmm& vmm, const std::string& id, std::uint64_t bytes,
                                             Clock::duration timeout) {
  const auto start = Clock::now();
  Status s = vmm.request_memory_device_size(id, bytes);
  if (!s) return s.error();
  auto reached = vmm.wait_memory_device_size(id, bytes, timeout);
  if (!reached) return reached.error();
  return reached->at - start;
}

}  // namespace hotmem::vmm

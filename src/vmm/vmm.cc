#include "vmm/vmm.h"

namespace hotmem::vmm {

Result<Clock::duration> resize_memory_device(Vmm& vmm, const std::string& id, std::uint64_t bytes,
                                             Clock::duration timeout) {
  const auto start = Clock::now();
  Status s = vmm.request_memory_device_size(id, bytes);
  if (!s) return s.error();
  auto waited = vmm.wait_memory_device_size(id, bytes, timeout);
  if (!waited) return waited.error();
  return Clock::now() - start;
}

}  // namespace hotmem::vmm

#include "host/memory_mode.h"

#include <fmt/format.h>

#include "host/modes/balloon_mode.h"
#include "host/modes/hotmem_mode.h"
#include "host/modes/static_mode.h"
#include "host/modes/virtio_mem_mode.h"

namespace hotmem::host {

std::uint64_t FunctionShape::partition_bytes() const {
  const std::uint64_t block = vmm::kGuestMemoryBlock;
  return (instance_bytes + block - 1) / block * block;
}

std::vector<std::string> memory_mode_names() { return {"hotmem", "virtio-mem", "balloon", "balloon-fpr", "static"}; }

Result<std::unique_ptr<MemoryMode>> make_memory_mode(std::string_view name) {
  if (name == "hotmem") return std::unique_ptr<MemoryMode>(std::make_unique<HotmemMode>());
  if (name == "virtio-mem") return std::unique_ptr<MemoryMode>(std::make_unique<VirtioMemMode>());
  if (name == "balloon") return std::unique_ptr<MemoryMode>(std::make_unique<BalloonMode>(false));
  if (name == "balloon-fpr") return std::unique_ptr<MemoryMode>(std::make_unique<BalloonMode>(true));
  if (name == "static") return std::unique_ptr<MemoryMode>(std::make_unique<StaticMode>());
  return Error(fmt::format("unknown memory mode '{}': use {}", name, fmt::join(memory_mode_names(), ", ")));
}

}  // namespace hotmem::host

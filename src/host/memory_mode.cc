#include "host/memory_mode.h"

#include <algorithm>

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

std::uint64_t boot_bytes_needed(const FunctionVmConfig& config, int max_instances) {
  // The kernel's image and reservations and a one-node guest's use at boot
  // (86 MiB measured with 512 MiB), and memory to spare for the agent.
  constexpr std::uint64_t kKernelAndAgent = 112 * kMiB;
  constexpr std::uint64_t kSpare = 64 * kMiB;
  constexpr std::uint64_t kPerNode = 3 * kMiB;
  constexpr std::uint64_t kPerInstance = 768 * kKiB;
  constexpr std::uint64_t kPerInstancePerNode = 50 * kKiB;
  constexpr std::uint64_t kPageStructShare = 64;  // a 64-byte struct page per 4 KiB page
  const auto nodes = static_cast<std::uint64_t>(std::max(config.numa_nodes, 1));
  const auto instances = static_cast<std::uint64_t>(std::max(max_instances, 0));
  std::uint64_t hotplugged = 0;
  for (const vmm::MemoryDeviceSpec& d : config.memory_devices) hotplugged += d.max_bytes;
  const std::uint64_t needed = kKernelAndAgent + kSpare + nodes * kPerNode + hotplugged / kPageStructShare +
                               instances * (kPerInstance + nodes * kPerInstancePerNode);
  constexpr std::uint64_t kRound = 64 * kMiB;
  return (needed + kRound - 1) / kRound * kRound;
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

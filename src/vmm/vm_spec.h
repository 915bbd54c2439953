// What a function VM looks like, independent of the VMM that runs it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/size.h"

namespace hotmem::vmm {

// Guest memory hot(un)plug works in Linux memory blocks (128 MiB on x86-64):
// a virtio-mem device's maximum is a whole number of them, so every device
// region starts and ends on a block boundary.
inline constexpr std::uint64_t kGuestMemoryBlock = 128 * kMiB;
// virtio-mem's plug granularity (QEMU's default block-size on x86-64).
inline constexpr std::uint64_t kVirtioMemBlock = 2 * kMiB;

enum class Accel { kAuto, kKvm, kTcg };

std::string to_string(Accel accel);
Result<Accel> parse_accel(std::string_view text);

// One virtio-mem device. Its memory appears on guest NUMA node `node`.
struct MemoryDeviceSpec {
  std::string id;            // e.g. "vmem1"
  int node = 0;
  std::uint64_t max_bytes = 0;
};

struct VmSpec {
  std::string name;
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::string cmdline;
  int vcpus = 2;
  std::uint64_t base_bytes = 512 * kMiB;  // boot memory, all on node 0
  // Guest NUMA nodes: node 0 holds boot memory and the vCPUs; nodes 1..n-1
  // start empty and get memory only from virtio-mem devices (partitions).
  int numa_nodes = 1;
  std::vector<MemoryDeviceSpec> memory_devices;
  // A virtio-balloon device, optionally with free page reporting (the
  // guest hands free pages back to the host by itself).
  bool balloon = false;
  bool free_page_reporting = false;
  Accel accel = Accel::kAuto;
  // A root filesystem image the guest sees as a read-only virtio-blk disk
  // with serial protocol::kRootfsDiskSerial (the agent mounts it at
  // protocol::kRootfsMountPoint).
  std::optional<std::filesystem::path> rootfs_image;
  // Sockets and logs of this VM live here (it must exist).
  std::filesystem::path run_dir;
  // A host cgroup directory (v2, or a v1 controller's) QEMU runs in from its first instruction (so
  // all its memory is charged there), e.g. to cap the host memory of VMs.
  std::filesystem::path host_cgroup;
  // How long a wait for a memory device's size may go on after a poll saw
  // it reached, for the VMM's event that dates the change exactly (QEMU's
  // MEMORY_DEVICE_SIZE_CHANGE is sent at most once a second per device, so
  // the last of an unplug's steps can come up to 1 s late). 0 (the daemon):
  // only an event already received dates it, else the poll. Benchmarks wait.
  Clock::duration size_event_wait{};
  // Each vCPU thread alone on a host core of its own, and QEMU's other
  // threads on the cores left (common/cpu_affinity.h: split_cores), when the
  // host has a core to spare; else no thread is placed. Under TCG the
  // guest's memory work (offlining, unplug) runs in the vCPU thread: placed,
  // no other QEMU thread takes turns with it. Benchmarks place them, the
  // same way for every mode.
  bool dedicated_vcpu_cores = false;
};

// Checks sizes, nodes and ids; says what to change.
Status validate(const VmSpec& spec);

}  // namespace hotmem::vmm

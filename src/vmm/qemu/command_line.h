// The QEMU command line for a VmSpec: NUMA layout, virtio-mem devices behind
// PCI bridges, the agent's virtio-serial port, QMP and the serial console.
#pragma once

#include <string>
#include <vector>

#include "protocol/channel.h"
#include "vmm/vm_spec.h"

namespace hotmem::vmm::qemu {

inline constexpr int kDevicesPerBridge = 30;

// The QEMU program, looked up in PATH (qemu_binary() in qemu_vm.h).
inline constexpr const char* kQemuProgram = "qemu-system-x86_64";

struct QemuPaths {
  std::filesystem::path qmp_socket;
  std::filesystem::path agent_socket;
  std::filesystem::path console_log;
};

QemuPaths paths_for(const VmSpec& spec);

// `accel` must be resolved (kKvm or kTcg).
std::vector<std::string> build_command_line(const VmSpec& spec, Accel accel,
                                            const std::string& binary = kQemuProgram);

}  // namespace hotmem::vmm::qemu

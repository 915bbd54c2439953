// Names both ends of the host-agent control channel agree on.
#pragma once

namespace hotmem::protocol {

// The virtio-serial port the agent listens on (its sysfs "name").
inline constexpr const char* kAgentPortName = "org.hotmem.agent";

// The serial number of the VM's read-only root filesystem disk (virtio-blk),
// by which the agent finds it, and where the agent mounts it.
inline constexpr const char* kRootfsDiskSerial = "hotmem-rootfs";
inline constexpr const char* kRootfsMountPoint = "/rootfs";

}  // namespace hotmem::protocol

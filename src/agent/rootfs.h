// The function root filesystem: a read-only disk of the VM (virtio-blk with
// serial protocol::kRootfsDiskSerial, e.g. the Debian tree Python functions
// run from) that the agent mounts read-only at protocol::kRootfsMountPoint
// at boot. A VM without the disk simply has no /rootfs.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "common/result.h"

namespace hotmem::agent {

// The block device (e.g. "vda") whose serial is `serial`, looking in
// `sys_block` (normally /sys/block).
std::optional<std::string> find_disk_by_serial(const std::filesystem::path& sys_block, const std::string& serial);

// Mounts the rootfs disk if the VM has one; returns the mount point, or
// nullopt when there is no such disk. Waits up to `settle` for a virtio
// block device that is still being probed.
Result<std::optional<std::filesystem::path>> mount_function_rootfs(
    std::chrono::milliseconds settle = std::chrono::milliseconds(3000));

}  // namespace hotmem::agent

// `hotmem image build`: turns an unpacked Debian kernel package, the static
// busybox and the hotmem-agent into a bootable guest image.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/guest_image.h"

namespace hotmem::image {

struct ImageBuildOptions {
  std::filesystem::path kernel_dir;  // contains boot/vmlinuz-* and lib/modules/*
  std::filesystem::path agent;       // the statically linked hotmem-agent
  std::filesystem::path busybox = "/bin/busybox";
  std::filesystem::path out;
  KernelCmdline cmdline = default_cmdline();
  // Kernel modules the guest loads at boot (with their dependencies).
  // virtio_blk and squashfs: the read-only function rootfs disk.
  std::vector<std::string> modules = {"virtio_pci",      "virtio_mem",    "virtio_balloon",
                                      "virtio_console",  "vmw_vsock_virtio_transport",
                                      "virtio_blk",      "squashfs"};
};

Result<GuestImage> build_image(const ImageBuildOptions& options);

// The guest's /init script for these module paths (relative to the
// kernel's module directory).
std::string init_script(const std::string& kernel_version, const std::vector<std::string>& module_paths);

}  // namespace hotmem::image

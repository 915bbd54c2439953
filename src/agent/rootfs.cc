#include "agent/rootfs.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "common/proc_stats.h"
#include "protocol/channel.h"

namespace hotmem::agent {
namespace {

namespace fs = std::filesystem;

constexpr unsigned kVirtioBlockDeviceId = 2;  // VIRTIO_ID_BLOCK

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// Virtio block devices the kernel knows, whether or not their disks are up yet.
int virtio_block_devices() {
  int n = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/bus/virtio/devices", ec)) {
    auto id = read_text_file(entry.path() / "device", 64);
    if (id && std::strtoul(id->c_str(), nullptr, 0) == kVirtioBlockDeviceId) ++n;
  }
  return n;
}

}  // namespace

std::optional<std::string> find_disk_by_serial(const fs::path& sys_block, const std::string& serial) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sys_block, ec)) {
    auto text = read_text_file(entry.path() / "serial", 256);
    if (text && trimmed(*text) == serial) return entry.path().filename().string();
  }
  return std::nullopt;
}

Result<std::optional<fs::path>> mount_function_rootfs(std::chrono::milliseconds settle) {
  const auto deadline = std::chrono::steady_clock::now() + settle;
  std::optional<std::string> disk;
  for (;;) {
    disk = find_disk_by_serial("/sys/block", protocol::kRootfsDiskSerial);
    if (disk) break;
    // No virtio disk at all: this VM has no rootfs, which is fine.
    if (virtio_block_devices() == 0) return std::optional<fs::path>();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(fmt::format("a virtio block device is present but no disk with serial '{}' appeared "
                               "(is virtio_blk in the image's modules?)",
                               protocol::kRootfsDiskSerial));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const fs::path device = fs::path("/dev") / *disk;
  const fs::path target = protocol::kRootfsMountPoint;
  std::error_code ec;
  fs::create_directories(target, ec);
  if (ec) return Error(fmt::format("mkdir {}: {}", target.string(), ec.message()));
  // squashfs is what scripts/build-rootfs makes; ext4 also works if loaded.
  std::string tried;
  for (const char* type : {"squashfs", "ext4"}) {
    if (::mount(device.c_str(), target.c_str(), type, MS_RDONLY | MS_NODEV, nullptr) == 0) {
      return std::optional<fs::path>(target);
    }
    tried += fmt::format("{}{}: {}", tried.empty() ? "" : "; ", type, std::strerror(errno));
  }
  return Error(fmt::format("cannot mount the rootfs disk {} read-only at {} ({})", device.string(), target.string(),
                           tried));
}

}  // namespace hotmem::agent

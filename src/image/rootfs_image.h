// The function root filesystem image (scripts/build-rootfs): a read-only
// Debian tree with python3 and the functions' libraries that a VM gets as a
// virtio-blk disk and its agent mounts at protocol::kRootfsMountPoint.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace hotmem::image {

// The image used when none is given: $HOTMEM_ROOTFS, else
// python-bookworm.squashfs in $HOTMEM_CACHE/rootfs (default
// ~/.cache/hotmem/rootfs), where scripts/build-rootfs puts it.
std::filesystem::path default_rootfs_image();

// The files the image's functions import or map (the interpreter, modules,
// shared libraries), as guest paths under protocol::kRootfsMountPoint, from
// the .preload list build-rootfs writes beside the image. Preloading them
// into node 0 (AgentClient::preload) before the first instance keeps pages
// that every instance maps out of any one instance's partition.
Result<std::vector<std::string>> rootfs_preload_paths(const std::filesystem::path& image);

// Parses a .preload list: absolute paths inside the rootfs, one a line.
Result<std::vector<std::string>> parse_preload_list(const std::string& text);

}  // namespace hotmem::image

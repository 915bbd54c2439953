// A built guest image: a directory with the kernel, the initramfs and a
// manifest (image.json) saying what is inside and how to boot it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/kernel_cmdline.h"

namespace hotmem::image {

inline constexpr const char* kManifestName = "image.json";

struct GuestImage {
  std::filesystem::path dir;
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::string kernel_version;
  KernelCmdline cmdline;
  std::vector<std::string> modules;
};

// The image directory used when none is given: $HOTMEM_IMAGE, else the
// installed one (PREFIX/lib/hotmem/image) or the one the build produced
// (common/install_layout.h).
std::filesystem::path default_image_dir();

// Loads and checks an image; says how to build one when it is missing.
Result<GuestImage> load_image(const std::filesystem::path& dir);
Status write_manifest(const GuestImage& image);

}  // namespace hotmem::image

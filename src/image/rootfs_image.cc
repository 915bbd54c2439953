#include "image/rootfs_image.h"

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "common/proc_stats.h"
#include "protocol/channel.h"

namespace hotmem::image {

namespace fs = std::filesystem;

fs::path default_rootfs_image() {
  if (const char* env = std::getenv("HOTMEM_ROOTFS"); env && *env) return env;
  fs::path cache;
  if (const char* env = std::getenv("HOTMEM_CACHE"); env && *env) {
    cache = env;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    cache = fs::path(home) / ".cache/hotmem";
  } else {
    cache = "/root/.cache/hotmem";
  }
  return cache / "rootfs/python-bookworm.squashfs";
}

Result<std::vector<std::string>> parse_preload_list(const std::string& text) {
  std::vector<std::string> paths;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    if (line.front() != '/' || line.find("/../") != std::string::npos || line.ends_with("/..")) {
      return Error(fmt::format("line {} of the preload list is not an absolute path inside the rootfs: '{}'",
                               number, line));
    }
    paths.push_back(protocol::kRootfsMountPoint + line);
  }
  return paths;
}

Result<std::vector<std::string>> rootfs_preload_paths(const fs::path& image) {
  fs::path list = image;
  list.replace_extension(".preload");
  auto text = read_text_file(list, 4u << 20);
  if (!text) {
    return Error(fmt::format("no preload list {} beside the rootfs image: run ./scripts/setup (or "
                             "./scripts/build-rootfs)",
                             list.string()));
  }
  return parse_preload_list(*text);
}

}  // namespace hotmem::image

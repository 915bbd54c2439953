#include "common/install_layout.h"

#include <system_error>

// Compile-time fallbacks for a binary run from the build tree (src/CMakeLists.txt).
#ifndef HOTMEM_DEFAULT_IMAGE_DIR
#define HOTMEM_DEFAULT_IMAGE_DIR "image"
#endif
#ifndef HOTMEM_AGENT_BINARY
#define HOTMEM_AGENT_BINARY "hotmem-agent"
#endif
#ifndef HOTMEM_DATA_DIR
#define HOTMEM_DATA_DIR "data"
#endif
#ifndef HOTMEM_FUNCTIONS_DIR
#define HOTMEM_FUNCTIONS_DIR "functions/python"
#endif

namespace hotmem {

namespace fs = std::filesystem;

std::optional<fs::path> install_prefix_of(const fs::path& exe) {
  const fs::path bin = exe.parent_path();
  if (bin.filename() != "bin") return std::nullopt;
  const fs::path prefix = bin.parent_path();
  std::error_code ec;
  if (!fs::is_directory(prefix / "share/hotmem", ec)) return std::nullopt;
  return prefix;
}

std::optional<fs::path> install_prefix() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  return install_prefix_of(exe);
}

fs::path installed_or_built_image_dir() {
  if (auto prefix = install_prefix()) return *prefix / "lib/hotmem/image";
  return HOTMEM_DEFAULT_IMAGE_DIR;
}

fs::path agent_binary() {
  if (auto prefix = install_prefix()) return *prefix / "lib/hotmem/hotmem-agent";
  return HOTMEM_AGENT_BINARY;
}

fs::path workload_data_dir() {
  if (auto prefix = install_prefix()) return *prefix / "share/hotmem/data";
  return HOTMEM_DATA_DIR;
}

fs::path python_functions_dir() {
  if (auto prefix = install_prefix()) return *prefix / "share/hotmem/functions/python";
  return HOTMEM_FUNCTIONS_DIR;
}

}  // namespace hotmem

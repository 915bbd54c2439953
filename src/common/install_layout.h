// Where HotMem finds its own files. Installed (`cmake --install`, PREFIX/bin/
// hotmem), they sit beside the binary in the FHS way:
//
//   PREFIX/bin/hotmem
//   PREFIX/lib/hotmem/hotmem-agent          the guest's init (static)
//   PREFIX/lib/hotmem/image/                the guest image the build made
//   PREFIX/share/hotmem/data/               the trace and catalog
//   PREFIX/share/hotmem/functions/python/   the shipped functions
//   PREFIX/share/hotmem/runtimes/python/    the OpenWhisk runner
//   PREFIX/share/hotmem/scripts/build-rootfs
//
// Run from the build tree instead, the binary uses the build and source
// trees it was built from (paths fixed at compile time). Which one is
// decided from the running executable (/proc/self/exe), never from a fixed
// prefix, so an installed tree can be moved as a whole.
#pragma once

#include <filesystem>
#include <optional>

namespace hotmem {

// PREFIX when `exe` is PREFIX/bin/<name> and PREFIX/share/hotmem is a
// directory; nullopt otherwise (a binary in the build tree).
std::optional<std::filesystem::path> install_prefix_of(const std::filesystem::path& exe);
// install_prefix_of(this process's executable).
std::optional<std::filesystem::path> install_prefix();

// The guest image used when none is given (before $HOTMEM_IMAGE is looked
// at): PREFIX/lib/hotmem/image, or the build tree's image/.
std::filesystem::path installed_or_built_image_dir();
// The static hotmem-agent: PREFIX/lib/hotmem/hotmem-agent, or the build's.
std::filesystem::path agent_binary();
// The workload data (trace, catalog): PREFIX/share/hotmem/data or the source's data/.
std::filesystem::path workload_data_dir();
// The shipped Python functions: PREFIX/share/hotmem/functions/python or the source's.
std::filesystem::path python_functions_dir();

}  // namespace hotmem

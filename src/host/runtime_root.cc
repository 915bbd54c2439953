#include "host/runtime_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hotmem::host {
namespace {

namespace fs = std::filesystem;

constexpr const char* kElsewhere = "or set HOTMEM_STATE_DIR to a directory of your own";

bool is_set(const char* value) { return value != nullptr && *value != '\0'; }

// A subdirectory of the checked root, checked in turn.
Result<fs::path> private_subdir(const char* name) {
  auto root = runtime_root();
  if (!root) return root.error();
  const fs::path dir = *root / name;
  if (Status s = ensure_private_dir(dir); !s) return s.error();
  return dir;
}

}  // namespace

fs::path choose_runtime_root(uid_t euid, const char* state_dir, const char* xdg_runtime_dir) {
  if (is_set(state_dir)) {
    std::error_code ec;
    fs::path dir = fs::absolute(state_dir, ec).lexically_normal();
    // "/srv/state/" names the directory "/srv/state", not an entry in it.
    if (!dir.has_filename() && dir != dir.root_path()) dir = dir.parent_path();
    return dir;
  }
  if (euid == 0) return "/run/hotmem";
  if (is_set(xdg_runtime_dir) && xdg_runtime_dir[0] == '/') return fs::path(xdg_runtime_dir) / "hotmem";
  return fmt::format("/tmp/hotmem-{}", euid);
}

namespace {

// lstat of `dir` once it passed check_owned_dir's checks.
Result<struct stat> owned_dir_status(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return Error(fmt::format("cannot inspect {}: {}", dir.string(), std::strerror(errno)));
  }
  if (S_ISLNK(st.st_mode)) {
    return Error(fmt::format("{} is a symbolic link, not a directory: HotMem does not follow links for its runtime "
                             "files; remove it, {}",
                             dir.string(), kElsewhere));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error(fmt::format("{} is not a directory: remove it, {}", dir.string(), kElsewhere));
  }
  if (st.st_uid != ::geteuid()) {
    return Error(fmt::format("{} belongs to uid {}, not to uid {} who runs hotmem: someone else made it; remove it "
                             "(as its owner or root), {}",
                             dir.string(), st.st_uid, ::geteuid(), kElsewhere));
  }
  return st;
}

}  // namespace

Status check_owned_dir(const fs::path& dir) {
  auto st = owned_dir_status(dir);
  if (!st) return st.error();
  return ok_status();
}

Status ensure_private_dir(const fs::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", dir.parent_path().string(), ec.message()));
  // mkdir's mode is only ever narrowed by the umask: 0700 stays private.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error(fmt::format("cannot create {}: {}", dir.string(), std::strerror(errno)));
  }
  auto st = owned_dir_status(dir);
  if (!st) return st.error();
  if ((st->st_mode & 077) != 0 && (st->st_mode & 022) == 0) {
    if (::chmod(dir.c_str(), 0700) != 0) {
      return Error(fmt::format("cannot narrow {} to mode 0700: {}", dir.string(), std::strerror(errno)));
    }
    spdlog::warn("{} had mode {:04o}: narrowed to 0700 (others could read it, not write to it)", dir.string(),
                 st->st_mode & 07777);
    return ok_status();
  }
  if ((st->st_mode & 077) != 0) {
    return Error(fmt::format("{} has mode {:04o}: group and others must have no access to it; chmod 700 {}, {}",
                             dir.string(), st->st_mode & 07777, dir.string(), kElsewhere));
  }
  return ok_status();
}

Result<fs::path> runtime_root() {
  const fs::path root =
      choose_runtime_root(::geteuid(), std::getenv("HOTMEM_STATE_DIR"), std::getenv("XDG_RUNTIME_DIR"));
  if (Status s = ensure_private_dir(root); !s) return s.error().context("the runtime root");
  return root;
}

Result<fs::path> run_dirs_root() { return private_subdir("run"); }

Result<fs::path> vm_states_root() { return private_subdir("vms"); }

}  // namespace hotmem::host

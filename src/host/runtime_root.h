// The runtime root: the one directory under which HotMem keeps what running
// VMs need (QEMU's sockets, console logs, the `hotmem vm` supervisors'
// control sockets). It is private to the user who runs HotMem, so nobody
// else can plant, swap or read anything there:
//
//   ROOT/run/<name>-XXXXXX/  a VM's run directory (host/run_dir.h)
//   ROOT/vms/<name>/         a `hotmem vm` VM's state (cli/vm_supervisor.h)
//
// Every directory here is checked before use (ensure_private_dir); one that
// fails the check is an error saying what is wrong and what to do, never
// something HotMem repairs by changing what it did not create.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "common/result.h"

namespace hotmem::host {

// Which root: `state_dir` ($HOTMEM_STATE_DIR) when set, else /run/hotmem for
// root (euid 0), else <xdg_runtime_dir>/hotmem ($XDG_RUNTIME_DIR, when
// absolute), else /tmp/hotmem-<euid> as the last resort. Null or empty
// strings count as unset.
std::filesystem::path choose_runtime_root(uid_t euid, const char* state_dir, const char* xdg_runtime_dir);

// Checks with lstat that `dir` is a real directory (not a symlink) owned by
// the effective uid; the error says what it is instead.
Status check_owned_dir(const std::filesystem::path& dir);

// Creates `dir` with mode 0700 when it is missing (its missing parents the
// usual way), then checks it: check_owned_dir, and no permission bit for
// group or others. One of ours that others may only read (an older HotMem
// made /run/hotmem 0755) is narrowed to 0700: nobody else can have put
// anything in it. One that others may write to is refused as it is.
Status ensure_private_dir(const std::filesystem::path& dir);

// This process's root (from its environment and effective uid), checked.
Result<std::filesystem::path> runtime_root();
// ROOT/run, where VMs' run directories go; checked.
Result<std::filesystem::path> run_dirs_root();
// ROOT/vms, where `hotmem vm` keeps the state of its VMs; checked.
Result<std::filesystem::path> vm_states_root();

}  // namespace hotmem::host

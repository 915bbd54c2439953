// A VM's run directory, ROOT/run/<name>-XXXXXX (runtime_root.h): QEMU's QMP
// and agent sockets, its log and the guest's console log. It names the
// process that owns it, so a later daemon can tell the directory of a live
// VM from one a killed daemon left behind, and sweep only the latter.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/proc_stats.h"
#include "common/result.h"
#include "common/temp_dir.h"

namespace hotmem::host {

// The file naming a directory's owner: "<pid> <start time>" (ProcessIdentity),
// so that another process given the owner's pid later is not taken for it.
inline constexpr const char* kOwnerFile = "owner";

// Writes this process into `dir`'s owner file.
Status record_owner(const std::filesystem::path& dir);
// The owner recorded in `dir`; an error when there is none or it is malformed.
Result<ProcessIdentity> recorded_owner(const std::filesystem::path& dir);

// A fresh run directory for VM `name` under the checked ROOT/run, owned by
// this process; removed when the TempDir goes.
Result<TempDir> create_run_dir(const std::string& name);

struct SweepReport {
  std::vector<std::string> removed;  // a line per directory removed (and QEMU killed)
  std::vector<std::string> left;     // a line per orphan left alone, and why
};

// Run directories under `parent` (a checked ROOT/run) whose owner is gone: a
// daemon killed with SIGKILL leaves them (its QEMUs die with it). Only real
// directories (not symlinks) owned by the effective uid, whose recorded owner
// process is gone (pid reuse detected by its start time), are touched: a
// process still naming one on its command line is SIGKILLed when it runs
// `qemu_binary` (as /proc/PID/exe shows; should never be needed), and the
// directory is then removed. One still named by any other process is left,
// and so is everything else that is not plainly an orphan of ours (reported
// in `left`, except live owners' directories).
SweepReport sweep_orphaned_run_dirs(const std::filesystem::path& parent, const std::filesystem::path& qemu_binary);
// The same under this process's checked ROOT/run, for the QEMU it runs
// (vmm::qemu::qemu_binary); an error when either is not to be had.
Result<SweepReport> sweep_orphaned_run_dirs();

}  // namespace hotmem::host

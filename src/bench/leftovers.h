// What a run of function VMs left on the host once it had shut them all
// down: QEMU processes, host cgroups made for them, run directories. Each
// should be none.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/proc_stats.h"

namespace hotmem::bench {

// A function VM as the run saw it while it ran.
struct SeenVm {
  ProcessIdentity qemu;
  std::filesystem::path run_dir;
  std::string cgroup;  // the host cgroup its QEMU ran in (process_cgroup)
};

struct Leftovers {
  std::vector<std::string> qemu_processes;  // a line per process: its pid and why it counts
  std::vector<std::string> cgroups;
  std::vector<std::string> run_dirs;

  std::size_t count() const { return qemu_processes.size() + cgroups.size() + run_dirs.size(); }
  // {"qemu_processes": [...], "cgroups": [...], "run_dirs": [...]}
  nlohmann::json to_json() const;
};

// What is left of `seen` (every VM the run booted and saw), found as:
//  - QEMU processes: a seen QEMU still alive, any process naming a seen run
//    directory, a child of this process running `qemu_binary`;
//  - cgroups: a cgroup a seen QEMU ran in that still exists, other than
//    this process's own and those in `not_ours` (one the operator gave).
//    HotMem makes no host cgroup today: QEMU runs in its daemon's;
//  - run directories: a seen one that still exists, and any directory in
//    `run_root` (ROOT/run) whose recorded owner is this process.
Leftovers find_leftovers(const std::vector<SeenVm>& seen, const std::filesystem::path& run_root,
                         const std::filesystem::path& qemu_binary, const std::vector<std::string>& not_ours = {});

}  // namespace hotmem::bench

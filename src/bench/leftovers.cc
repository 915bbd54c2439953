#include "bench/leftovers.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "host/run_dir.h"

namespace hotmem::bench {
namespace {

namespace fs = std::filesystem;

// Where a cgroup lives: the unified hierarchy at /sys/fs/cgroup, or at
// /sys/fs/cgroup/unified on a host that mounts v1 beside it.
bool cgroup_exists(const std::string& cgroup) {
  std::error_code ec;
  return fs::is_directory("/sys/fs/cgroup" + cgroup, ec) || fs::is_directory("/sys/fs/cgroup/unified" + cgroup, ec);
}

}  // namespace

nlohmann::json Leftovers::to_json() const {
  return {{"qemu_processes", qemu_processes}, {"cgroups", cgroups}, {"run_dirs", run_dirs}};
}

Leftovers find_leftovers(const std::vector<SeenVm>& seen, const fs::path& run_root, const fs::path& qemu_binary,
                         const std::vector<std::string>& not_ours) {
  Leftovers left;
  std::set<pid_t> counted;
  const auto count_process = [&](pid_t pid, const std::string& why) {
    if (counted.insert(pid).second) left.qemu_processes.push_back(fmt::format("pid {}: {}", pid, why));
  };
  for (const SeenVm& vm : seen) {
    if (vm.qemu.pid > 0 && process_alive(vm.qemu)) count_process(vm.qemu.pid, "a QEMU of the run, still running");
    if (vm.run_dir.empty()) continue;
    for (pid_t pid : processes_matching(vm.run_dir.string() + "/")) {
      count_process(pid, fmt::format("names {} on its command line", vm.run_dir.string()));
    }
  }
  for (pid_t pid : children_of(::getpid())) {
    auto exe = process_executable(pid);
    if (exe && is_program(*exe, qemu_binary)) count_process(pid, "a child of this process running QEMU");
  }

  std::set<std::string> skip(not_ours.begin(), not_ours.end());
  if (auto own = process_cgroup(::getpid())) skip.insert(*own);
  std::set<std::string> cgroups;
  for (const SeenVm& vm : seen) {
    if (!vm.cgroup.empty() && !skip.contains(vm.cgroup)) cgroups.insert(vm.cgroup);
  }
  for (const std::string& cgroup : cgroups) {
    if (cgroup_exists(cgroup)) left.cgroups.push_back(fmt::format("{}: a QEMU of the run ran in it", cgroup));
  }

  std::set<fs::path> dirs;
  std::error_code ec;
  for (const SeenVm& vm : seen) {
    if (!vm.run_dir.empty() && fs::exists(vm.run_dir, ec)) dirs.insert(vm.run_dir);
  }
  const auto self = process_identity(::getpid());
  for (auto it = fs::directory_iterator(run_root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto owner = host::recorded_owner(it->path());
    if (self && owner && *owner == *self) dirs.insert(it->path());
  }
  for (const fs::path& dir : dirs) left.run_dirs.push_back(dir.string());
  return left;
}

}  // namespace hotmem::bench

// Which host cores a thread may run on (its CPU affinity), read and set by
// thread id, and how to split a host's cores between a VM's vCPUs and the
// rest of its VMM.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace hotmem {

// The cores thread `tid` may run on (0: the calling thread), ascending.
Result<std::vector<int>> allowed_cpus(pid_t tid = 0);
// Lets thread `tid` run only on `cpus` (not empty).
Status set_allowed_cpus(pid_t tid, const std::vector<int>& cpus);
// The threads of process `pid` (/proc/PID/task), ascending.
Result<std::vector<pid_t>> thread_ids(pid_t pid);

// "0-2,5" (the kernel's cpu list format, as in /proc/PID/status's
// Cpus_allowed_list) -> {0, 1, 2, 5}.
Result<std::vector<int>> parse_cpu_list(std::string_view text);
// {0, 1, 2, 5} -> "0-2,5".
std::string format_cpu_list(const std::vector<int>& cpus);

// A VM's vCPU threads each alone on a core of their own, and everything else
// (the VMM's other threads) on the cores left.
struct CoreSplit {
  std::vector<int> vcpu_cores;   // vCPU i runs on vcpu_cores[i]
  std::vector<int> other_cores;  // not empty
};

// The last `vcpus` of `allowed` for the vCPUs, the rest for everything else;
// none when `allowed` has no core to spare beside one per vCPU.
std::optional<CoreSplit> split_cores(const std::vector<int>& allowed, int vcpus);

}  // namespace hotmem

// What /proc says about a host process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace hotmem {

// Resident set size (VmRSS) in bytes.
Result<std::uint64_t> process_rss_bytes(pid_t pid);

// How often thread `tid` of process `pid` was taken off its core while it
// could still run (nonvoluntary_ctxt_switches): another task wanted the core.
Result<std::uint64_t> thread_preemptions(pid_t pid, pid_t tid);

// CPU time (user + system) of a process, in ms: all its threads', those
// that have ended included. /proc/PID/stat holds the process's own totals,
// which keep an ended thread's time; a sum over /proc/PID/task/* would lose
// the time of every thread that ended between two readings.
Result<double> process_cpu_ms(pid_t pid);

// utime + stime (fields 14 and 15, in clock ticks) of the text of a
// /proc/PID/stat file.
Result<std::uint64_t> stat_cpu_ticks(std::string_view stat);

// One process, told apart from any later one that gets its pid: the pid and
// when it started (field 22 of /proc/PID/stat, clock ticks after boot).
struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start_ticks = 0;
  bool operator==(const ProcessIdentity&) const = default;
};

// The identity of a live process; an error when there is no such process.
Result<ProcessIdentity> process_identity(pid_t pid);

// Whether that very process still runs: its pid exists, started at the same
// time, and is not a zombie.
bool process_alive(const ProcessIdentity& process);

// The program a process runs (/proc/PID/exe resolved).
Result<std::filesystem::path> process_executable(pid_t pid);

// Whether `exe` (as process_executable gives it) is `binary`: the same path,
// or the same path with " (deleted)" after it, which is how a binary
// replaced on disk (a package upgrade) shows while a process still runs it.
bool is_program(const std::filesystem::path& exe, const std::filesystem::path& binary);

// Processes whose command line (arguments joined by spaces) contains `needle`.
std::vector<pid_t> processes_matching(const std::string& needle);

// Live children of `parent` (their field 4, the parent pid, is it; zombies
// left out).
std::vector<pid_t> children_of(pid_t parent);

// The cgroup a process runs in, as /proc/PID/cgroup names it for cgroup v2
// (the "0::" line, e.g. "/user.slice/session-1.scope"; on a v1-only host
// the first line's path).
Result<std::string> process_cgroup(pid_t pid);

// Reads a whole (small) text file, e.g. under /proc or /sys.
Result<std::string> read_text_file(const std::filesystem::path& path, std::size_t max_bytes = 1 << 20);

// The last `max_bytes` of a log file, for error messages.
std::string tail_of_file(const std::filesystem::path& path, std::size_t max_bytes = 2000);

}  // namespace hotmem

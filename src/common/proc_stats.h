// What /proc says about a host process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace hotmem {

// Resident set size (VmRSS) in bytes.
Result<std::uint64_t> process_rss_bytes(pid_t pid);

// CPU time (user + system) of every thread of a process, in ms.
Result<double> process_cpu_ms(pid_t pid);

// Processes whose command line (arguments joined by spaces) contains `needle`.
std::vector<pid_t> processes_matching(const std::string& needle);

// Reads a whole (small) text file, e.g. under /proc or /sys.
Result<std::string> read_text_file(const std::filesystem::path& path, std::size_t max_bytes = 1 << 20);

// The last `max_bytes` of a log file, for error messages.
std::string tail_of_file(const std::filesystem::path& path, std::size_t max_bytes = 2000);

}  // namespace hotmem

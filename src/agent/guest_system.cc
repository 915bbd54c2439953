#include "agent/guest_system.h"

#include <sys/utsname.h>
#include <time.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/proc_stats.h"

namespace hotmem::agent {

std::vector<int> list_nodes() {
  std::vector<int> nodes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/devices/system/node", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.starts_with("node") &&
        name.find_first_not_of("0123456789", 4) == std::string::npos) {
      nodes.push_back(std::stoi(name.substr(4)));
    }
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

Result<std::string> node_meminfo_text(int node) {
  return read_text_file(fmt::format("/sys/devices/system/node/node{}/meminfo", node));
}

Result<std::string> vmstat_text() { return read_text_file("/proc/vmstat"); }

std::string kernel_release() {
  utsname u{};
  if (::uname(&u) != 0) return "unknown";
  return u.release;
}

std::uint64_t uptime_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace hotmem::agent

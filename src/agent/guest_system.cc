#include "agent/guest_system.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/proc_stats.h"
#include "common/unique_fd.h"

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

Result<std::uint64_t> preload_files(const std::vector<std::string>& paths) {
  std::uint64_t total = 0;
  auto read_one = [&total](const std::filesystem::path& p) -> Status {
    std::ifstream in(p, std::ios::binary);
    if (!in) return Error(fmt::format("cannot read {}", p.string()));
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) total += static_cast<std::uint64_t>(in.gcount());
    return ok_status();
  };
  for (const std::string& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path, ec)) {
        if (entry.is_regular_file(ec)) {
          if (Status s = read_one(entry.path()); !s) return s.error();
        }
      }
    } else if (Status s = read_one(path); !s) {
      return s.error();
    }
  }
  return total;
}

namespace {

// The state files of a node's memory blocks (memory<N>/state).
Result<std::vector<std::filesystem::path>> memory_block_states(int node) {
  const std::filesystem::path dir = fmt::format("/sys/devices/system/node/node{}", node);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return Error(fmt::format("no node {}", node));
  std::vector<std::filesystem::path> blocks;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("memory") && name.size() > 6 && name.find_first_not_of("0123456789", 6) == std::string::npos) {
      blocks.push_back(entry.path() / "state");
    }
  }
  return blocks;
}

}  // namespace

bool node_list_contains(std::string_view list, int node) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view range = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!range.empty() && std::isspace(static_cast<unsigned char>(range.back()))) range.remove_suffix(1);
    const std::size_t dash = range.find('-');
    int first = -1;
    int last = -1;
    const auto low = range.substr(0, dash);
    if (std::from_chars(low.data(), low.data() + low.size(), first).ec != std::errc()) continue;
    last = first;
    if (dash != std::string_view::npos) {
      const auto high = range.substr(dash + 1);
      if (std::from_chars(high.data(), high.data() + high.size(), last).ec != std::errc()) continue;
    }
    if (first <= node && node <= last) return true;
  }
  return false;
}

Result<int> online_node_memory(int node) {
  auto blocks = memory_block_states(node);
  if (!blocks) return blocks.error();
  int blocks_onlined = 0;
  for (const auto& state : *blocks) {
    auto now = read_text_file(state, 64);
    if (!now || !now->starts_with("offline")) continue;
    std::ofstream out(state);
    out << "online_movable";
    out.flush();
    if (!out) return Error(fmt::format("cannot bring {} back online", state.parent_path().string()));
    ++blocks_onlined;
  }
  return blocks_onlined;
}

Result<int> offline_node_memory(int node) {
  int blocks_offlined = 0;
  auto blocks = memory_block_states(node);
  if (!blocks) return blocks.error();
  for (const auto& state : *blocks) {
    auto now = read_text_file(state, 64);
    if (!now || now->starts_with("offline")) continue;
    std::ofstream out(state);
    out << "offline";
    out.flush();
    if (!out) {
      return Error(fmt::format("cannot take {} offline (a page on node {} that cannot be moved?)", state.parent_path().string(),
                               node));
    }
    ++blocks_offlined;
  }
  return blocks_offlined;
}

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

std::uint64_t per_cpu_free_pages(std::string_view zoneinfo, int node) {
  std::uint64_t pages = 0;
  bool ours = false;
  for (std::size_t at = 0; at < zoneinfo.size();) {
    const std::size_t end = std::min(zoneinfo.find('\n', at), zoneinfo.size());
    std::string_view line = zoneinfo.substr(at, end - at);
    at = end + 1;
    if (line.starts_with("Node ")) {
      int n = -1;
      ours = std::sscanf(std::string(line).c_str(), "Node %d,", &n) == 1 && n == node;
      continue;
    }
    const auto first = line.find_first_not_of(' ');
    if (!ours || first == std::string_view::npos || !line.substr(first).starts_with("count:")) continue;
    unsigned long long count = 0;
    if (std::sscanf(std::string(line.substr(first)).c_str(), "count: %llu", &count) == 1) pages += count;
  }
  return pages;
}

std::uint64_t numa_maps_node_bytes(std::string_view numa_maps, int node) {
  const std::string wanted = fmt::format("N{}=", node);
  std::uint64_t bytes = 0;
  for (std::size_t at = 0; at < numa_maps.size();) {
    const std::size_t end = std::min(numa_maps.find('\n', at), numa_maps.size());
    const std::string_view line = numa_maps.substr(at, end - at);
    at = end + 1;
    std::uint64_t pages = 0;
    std::uint64_t page_kib = 4;
    for (std::size_t w = 0; w < line.size();) {
      const std::size_t stop = std::min(line.find(' ', w), line.size());
      const std::string_view word = line.substr(w, stop - w);
      w = stop + 1;
      auto number = [&word](std::string_view key, std::uint64_t& into) {
        if (!word.starts_with(key)) return;
        const std::string_view digits = word.substr(key.size());
        (void)std::from_chars(digits.data(), digits.data() + digits.size(), into);
      };
      number(wanted, pages);
      number("kernelpagesize_kB=", page_kib);
    }
    bytes += pages * page_kib * 1024;
  }
  return bytes;
}

std::optional<std::string_view> cmdline_value(std::string_view cmdline, std::string_view key) {
  for (std::size_t at = 0; at < cmdline.size();) {
    const std::size_t end = std::min(cmdline.find_first_of(" \n", at), cmdline.size());
    const std::string_view word = cmdline.substr(at, end - at);
    if (word.size() > key.size() && word.starts_with(key) && word[key.size()] == '=') {
      return word.substr(key.size() + 1);
    }
    at = end + 1;
  }
  return std::nullopt;
}

Status set_transparent_hugepages(std::string_view mode) {
  if (mode != "always" && mode != "madvise" && mode != "never") {
    return Error(fmt::format("'{}' is no transparent hugepage mode (always, madvise, never)", mode));
  }
  const char* path = "/sys/kernel/mm/transparent_hugepage/enabled";
  std::ofstream out(path);
  out << mode << "\n";
  out.close();
  if (!out) return Error(fmt::format("cannot write {}", path));
  return ok_status();
}

Status bring_up_loopback() {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error(fmt::format("socket: {}", std::strerror(errno)));
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &request) != 0) return Error(fmt::format("lo: {}", std::strerror(errno)));
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(fd.get(), SIOCSIFFLAGS, &request) != 0) return Error(fmt::format("lo up: {}", std::strerror(errno)));
  return ok_status();
}

}  // namespace hotmem::agent

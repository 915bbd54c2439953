#include "common/proc_stats.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>

namespace hotmem {

Result<std::string> read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  std::string out;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_bytes) return Error(fmt::format("{} is larger than {} bytes", path.string(), max_bytes));
  }
  return out;
}

Result<std::uint64_t> process_rss_bytes(pid_t pid) {
  auto status = read_text_file(fmt::format("/proc/{}/status", pid));
  if (!status) return status.error();
  const std::string& s = *status;
  const std::size_t at = s.find("\nVmRSS:");
  if (at == std::string::npos) return Error(fmt::format("no VmRSS for pid {} (has it exited?)", pid));
  std::size_t i = at + 7;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  std::uint64_t kib = 0;
  auto [end, ec] = std::from_chars(s.data() + i, s.data() + s.size(), kib);
  if (ec != std::errc()) return Error(fmt::format("unreadable VmRSS for pid {}", pid));
  return kib * 1024;
}

Result<double> process_cpu_ms(pid_t pid) {
  const std::filesystem::path tasks = fmt::format("/proc/{}/task", pid);
  std::error_code ec;
  double ticks = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tasks, ec)) {
    auto stat = read_text_file(entry.path() / "stat", 4096);
    if (!stat) continue;  // the thread just ended
    // Fields after the command name (which may hold spaces): state is field
    // 3, utime 14, stime 15.
    const std::size_t paren = stat->rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat->substr(paren + 2));
    std::string field;
    std::uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
      if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    ticks += static_cast<double>(utime + stime);
  }
  if (ec) return Error(fmt::format("cannot read the threads of pid {}: {}", pid, ec.message()));
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string tail_of_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string out(size - start, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

std::vector<pid_t> processes_matching(const std::string& needle) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = read_text_file(entry.path() / "cmdline", 1 << 20);
    if (!cmdline) continue;
    std::string text = *cmdline;
    std::replace(text.begin(), text.end(), '\0', ' ');
    if (text.find(needle) != std::string::npos) out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

}  // namespace hotmem

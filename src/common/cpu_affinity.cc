#include "common/cpu_affinity.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace hotmem {
namespace {

// A whole non-negative decimal, nothing around it.
std::optional<int> parse_decimal(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

Result<int> parse_cpu(std::string_view text) {
  const auto cpu = parse_decimal(text);
  if (!cpu || *cpu >= CPU_SETSIZE) return Error(fmt::format("'{}' is not a CPU number", text));
  return *cpu;
}

}  // namespace

Result<std::vector<int>> allowed_cpus(pid_t tid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(tid, sizeof set, &set) != 0) {
    return Error(fmt::format("sched_getaffinity({}): {}", tid, std::strerror(errno)));
  }
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

Status set_allowed_cpus(pid_t tid, const std::vector<int>& cpus) {
  if (cpus.empty()) return Error(fmt::format("no CPU given for thread {}", tid));
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return Error(fmt::format("CPU {} is out of range", cpu));
    CPU_SET(cpu, &set);
  }
  if (::sched_setaffinity(tid, sizeof set, &set) != 0) {
    return Error(fmt::format("sched_setaffinity({}, {}): {}", tid, format_cpu_list(cpus), std::strerror(errno)));
  }
  return ok_status();
}

Result<std::vector<pid_t>> thread_ids(pid_t pid) {
  std::error_code ec;
  std::vector<pid_t> tids;
  for (const auto& entry : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    if (const auto tid = parse_decimal(entry.path().filename().string()); tid && *tid > 0) tids.push_back(*tid);
  }
  if (ec) return Error(fmt::format("list the threads of process {}: {}", pid, ec.message()));
  std::sort(tids.begin(), tids.end());
  return tids;
}

Result<std::vector<int>> parse_cpu_list(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::vector<int> cpus;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view range = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto dash = range.find('-');
    auto first = parse_cpu(range.substr(0, dash));
    if (!first) return first.error();
    auto last = dash == std::string_view::npos ? first : parse_cpu(range.substr(dash + 1));
    if (!last) return last.error();
    if (*last < *first) return Error(fmt::format("'{}' is not a CPU range", range));
    for (int cpu = *first; cpu <= *last; ++cpu) cpus.push_back(cpu);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

std::optional<CoreSplit> split_cores(const std::vector<int>& allowed, int vcpus) {
  if (vcpus < 1 || allowed.size() <= static_cast<std::size_t>(vcpus)) return std::nullopt;
  const auto boundary = allowed.end() - vcpus;
  return CoreSplit{.vcpu_cores = {boundary, allowed.end()}, .other_cores = {allowed.begin(), boundary}};
}

}  // namespace hotmem

#include "common/proc_stats.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

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

namespace {

// The number after `field:` in a /proc/.../status file.
Result<std::uint64_t> status_number(const std::filesystem::path& path, std::string_view field) {
  auto status = read_text_file(path);
  if (!status) return status.error();
  const std::string& s = *status;
  const std::string key = fmt::format("\n{}:", field);
  const std::size_t at = s.find(key);
  if (at == std::string::npos) return Error(fmt::format("no {} in {} (has it exited?)", field, path.string()));
  std::size_t i = at + key.size();
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data() + i, s.data() + s.size(), value);
  if (ec != std::errc()) return Error(fmt::format("unreadable {} in {}", field, path.string()));
  return value;
}

}  // namespace

Result<std::uint64_t> process_rss_bytes(pid_t pid) {
  auto kib = status_number(fmt::format("/proc/{}/status", pid), "VmRSS");
  if (!kib) return kib.error();
  return *kib * 1024;
}

Result<std::uint64_t> thread_preemptions(pid_t pid, pid_t tid) {
  return status_number(fmt::format("/proc/{}/task/{}/status", pid, tid), "nonvoluntary_ctxt_switches");
}

namespace {

// The fields of a /proc/.../stat text after the command name (which may hold
// spaces and parentheses): the first is field 3 (state). None when the text
// has no command name.
std::optional<std::vector<std::string>> split_stat_fields(std::string_view stat) {
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  std::istringstream rest{std::string(stat.substr(paren + 1))};
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(std::move(field));
  return fields;
}

Result<std::vector<std::string>> stat_fields(const std::filesystem::path& stat_file) {
  auto stat = read_text_file(stat_file, 4096);
  if (!stat) return stat.error();
  auto fields = split_stat_fields(*stat);
  if (!fields) return Error(fmt::format("{} is malformed", stat_file.string()));
  return std::move(*fields);
}

// Field `n` (1-based, as proc(5) numbers them) of what stat_fields returned.
const std::string* stat_field(const std::vector<std::string>& fields, std::size_t n) {
  return n >= 3 && n - 3 < fields.size() ? &fields[n - 3] : nullptr;
}

}  // namespace

Result<std::uint64_t> stat_cpu_ticks(std::string_view stat) {
  auto fields = split_stat_fields(stat);
  if (!fields) return Error("a stat line without its command name in parentheses");
  std::uint64_t ticks[2] = {0, 0};
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string* field = stat_field(*fields, 14 + i);
    const char* end = field ? field->data() + field->size() : nullptr;
    if (!field || field->empty() || std::from_chars(field->data(), end, ticks[i]).ptr != end) {
      return Error(fmt::format("a stat line whose field {} ({}) is not a tick count", 14 + i, i == 0 ? "utime" : "stime"));
    }
  }
  return ticks[0] + ticks[1];
}

Result<double> process_cpu_ms(pid_t pid) {
  auto stat = read_text_file(fmt::format("/proc/{}/stat", pid), 4096);
  if (!stat) return stat.error().context(fmt::format("the CPU time of pid {}", pid));
  auto ticks = stat_cpu_ticks(*stat);
  if (!ticks) return ticks.error().context(fmt::format("/proc/{}/stat", pid));
  return static_cast<double>(*ticks) * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

namespace {

// The state (field 3) and start time (field 22) of a process.
Result<std::pair<char, ProcessIdentity>> process_state(pid_t pid) {
  if (pid <= 0) return Error(fmt::format("{} is not a process id", pid));
  auto fields = stat_fields(fmt::format("/proc/{}/stat", pid));
  if (!fields) return Error(ErrorCode::kNotFound, fmt::format("no process {}", pid));
  const std::string* state = stat_field(*fields, 3);
  const std::string* start = stat_field(*fields, 22);
  ProcessIdentity identity{pid, 0};
  if (!state || state->empty() || !start ||
      std::from_chars(start->data(), start->data() + start->size(), identity.start_ticks).ec != std::errc()) {
    return Error(fmt::format("/proc/{}/stat is malformed", pid));
  }
  return std::pair{state->front(), identity};
}

}  // namespace

Result<ProcessIdentity> process_identity(pid_t pid) {
  auto state = process_state(pid);
  if (!state) return state.error();
  return state->second;
}

bool process_alive(const ProcessIdentity& process) {
  auto state = process_state(process.pid);
  // Z: ended, its parent has not reaped it yet; X: being reaped.
  return state && state->second == process && state->first != 'Z' && state->first != 'X';
}

Result<std::filesystem::path> process_executable(pid_t pid) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
  if (ec) return Error(fmt::format("cannot tell what process {} runs: {}", pid, ec.message()));
  return exe;
}

bool is_program(const std::filesystem::path& exe, const std::filesystem::path& binary) {
  return exe == binary || exe.string() == binary.string() + " (deleted)";
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

namespace {

// Every process /proc lists now.
std::vector<pid_t> process_ids() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

}  // namespace

std::vector<pid_t> processes_matching(const std::string& needle) {
  std::vector<pid_t> out;
  for (pid_t pid : process_ids()) {
    auto cmdline = read_text_file(fmt::format("/proc/{}/cmdline", pid), 1 << 20);
    if (!cmdline) continue;
    std::string text = *cmdline;
    std::replace(text.begin(), text.end(), '\0', ' ');
    if (text.find(needle) != std::string::npos) out.push_back(pid);
  }
  return out;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  const std::string wanted = std::to_string(parent);
  for (pid_t pid : process_ids()) {
    auto fields = stat_fields(fmt::format("/proc/{}/stat", pid));
    if (!fields) continue;  // it just ended
    const std::string* state = stat_field(*fields, 3);
    const std::string* ppid = stat_field(*fields, 4);
    if (state && ppid && *ppid == wanted && *state != "Z" && *state != "X") out.push_back(pid);
  }
  return out;
}

Result<std::string> process_cgroup(pid_t pid) {
  auto text = read_text_file(fmt::format("/proc/{}/cgroup", pid), 64 * 1024);
  if (!text) return text.error();
  std::istringstream lines(*text);
  std::string first;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("0::")) return line.substr(3);
    if (first.empty()) first = line;
  }
  // v1: "<id>:<controllers>:<path>".
  const std::size_t colon = first.find(':', first.find(':') + 1);
  if (colon == std::string::npos) return Error(fmt::format("/proc/{}/cgroup names no cgroup", pid));
  return first.substr(colon + 1);
}

}  // namespace hotmem

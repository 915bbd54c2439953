#include "protocol/guest_reports.h"

#include <charconv>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace hotmem::protocol {
namespace {

// Splits on spaces and tabs, dropping empty pieces.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

Result<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return Error(fmt::format("'{}' is not a non-negative integer", s.substr(0, 32)));
  }
  return v;
}

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '(' || c == ')';
    if (!ok) return false;
  }
  return true;
}

// Calls fn(line_number, line) for each non-empty line, bounded in count.
template <class Fn>
Status for_each_line(std::string_view text, Fn fn) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++number;
    if (number > kMaxReportLines) return Error(fmt::format("more than {} lines", kMaxReportLines));
    if (words(line).empty()) continue;
    Status s = fn(number, line);
    if (!s) return s.error().context(fmt::format("line {}", number));
  }
  return ok_status();
}

}  // namespace

Result<NodeMeminfo> parse_node_meminfo(std::string_view text, int node) {
  NodeMeminfo info;
  info.node = node;
  Status s = for_each_line(text, [&](std::size_t, std::string_view line) -> Status {
    auto w = words(line);
    if (w.size() < 4 || w.size() > 5 || w[0] != "Node") return Error("expected 'Node <n> <Key>: <value> [kB]'");
    auto n = parse_u64(w[1]);
    if (!n) return n.error();
    if (*n != static_cast<std::uint64_t>(node)) {
      return Error(fmt::format("names node {}, expected node {}", *n, node));
    }
    std::string_view key = w[2];
    if (key.back() != ':') return Error("key must end with ':'");
    key.remove_suffix(1);
    if (!valid_key(key)) return Error(fmt::format("invalid key '{}'", key.substr(0, 64)));
    auto value = parse_u64(w[3]);
    if (!value) return value.error();
    std::uint64_t v = *value;
    if (w.size() == 5) {
      if (w[4] != "kB") return Error(fmt::format("unknown unit '{}'", w[4].substr(0, 16)));
      if (v > std::numeric_limits<std::uint64_t>::max() / 1024) return Error("value too large");
      v *= 1024;
    }
    if (!info.fields.emplace(std::string(key), v).second) {
      return Error(fmt::format("key '{}' repeated", key));
    }
    return ok_status();
  });
  if (!s) return s.error().context(fmt::format("node {} meminfo", node));
  if (!info.fields.contains("MemTotal") || !info.fields.contains("MemFree")) {
    return Error(fmt::format("node {} meminfo lacks MemTotal or MemFree", node));
  }
  if (info.free_bytes() > info.total_bytes()) {
    return Error(fmt::format("node {} meminfo: MemFree exceeds MemTotal", node));
  }
  return info;
}

Result<CpuTimes> parse_proc_stat(std::string_view text) {
  CpuTimes cpu;
  bool saw_total = false;
  Status s = for_each_line(text, [&](std::size_t, std::string_view line) -> Status {
    auto w = words(line);
    if (w[0].substr(0, 3) != "cpu") return ok_status();  // intr, ctxt, btime...
    // cpu user nice system idle iowait irq softirq steal [guest guest_nice]
    if (w.size() < 9 || w.size() > 11) return Error("expected 'cpuN' and 8 to 10 counters");
    std::uint64_t busy = 0;
    for (std::size_t i : {0, 1, 2, 5, 6, 7}) {  // all but idle (3) and iowait (4)
      auto n = parse_u64(w[i + 1]);
      if (!n) return n.error();
      if (*n > std::numeric_limits<std::uint64_t>::max() - busy) return Error("counters overflow");
      busy += *n;
    }
    for (std::size_t i : {3, 4}) {
      if (auto n = parse_u64(w[i + 1]); !n) return n.error();
    }
    if (w[0] == "cpu") {
      if (saw_total) return Error("'cpu' line repeated");
      saw_total = true;
      cpu.busy_ticks = busy;
      return ok_status();
    }
    auto index = parse_u64(w[0].substr(3));
    if (!index || *index != cpu.busy_per_cpu.size() || *index >= 1024) return Error("cpu lines out of order");
    cpu.busy_per_cpu.push_back(busy);
    return ok_status();
  });
  if (!s) return s.error().context("/proc/stat");
  if (!saw_total) return Error("/proc/stat lacks the 'cpu' line");
  return cpu;
}

Result<std::map<std::string, std::uint64_t>> parse_vmstat(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  Status s = for_each_line(text, [&](std::size_t, std::string_view line) -> Status {
    auto w = words(line);
    if (w.size() != 2) return Error("expected '<key> <value>'");
    if (!valid_key(w[0])) return Error(fmt::format("invalid key '{}'", w[0].substr(0, 64)));
    auto value = parse_u64(w[1]);
    if (!value) return value.error();
    if (!out.emplace(std::string(w[0]), *value).second) {
      return Error(fmt::format("key '{}' repeated", w[0]));
    }
    return ok_status();
  });
  if (!s) return s.error().context("vmstat");
  return out;
}

}  // namespace hotmem::protocol

#include "protocol/messages.h"

namespace hotmem::protocol {

std::uint64_t GuestMemoryReport::total_bytes() const {
  std::uint64_t sum = 0;
  for (const auto& [node, info] : nodes) sum += info.total_bytes();
  return sum;
}

std::uint64_t GuestMemoryReport::node_total_bytes(int node) const {
  auto it = nodes.find(node);
  return it == nodes.end() ? 0 : it->second.total_bytes();
}

std::uint64_t GuestMemoryReport::node_used_bytes(int node) const {
  auto it = nodes.find(node);
  return it == nodes.end() ? 0 : it->second.total_bytes() - it->second.free_bytes();
}

std::uint64_t GuestMemoryReport::vmstat_value(const std::string& key) const {
  auto it = vmstat.find(key);
  return it == vmstat.end() ? 0 : it->second;
}

Result<std::uint64_t> GuestMemoryReport::pgmigrate_success() const {
  auto it = vmstat.find("pgmigrate_success");
  if (it == vmstat.end()) {
    return Error("the guest's vmstat has no pgmigrate_success, so the pages it migrated cannot be counted (a guest "
                 "kernel without CONFIG_MIGRATION, or an agent that left the counter out)");
  }
  return it->second;
}

Result<GuestMemoryReport> parse_memory_report(const nlohmann::json& body) {
  GuestMemoryReport report;
  auto nodes = get_object(body, "nodes");
  if (!nodes) return nodes.error();
  if (nodes->size() > kMaxReportedNodes) return Error(fmt::format("more than {} nodes reported", kMaxReportedNodes));
  std::uint64_t total = 0;
  for (const auto& [key, text] : nodes->items()) {
    int node = -1;
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), node);
    const bool canonical = key == "0" || (!key.empty() && key[0] != '0');
    if (ec != std::errc() || end != key.data() + key.size() || node < 0 || node >= 1024 || !canonical) {
      return Error(fmt::format("node key '{}' is not a node number", key.substr(0, 16)));
    }
    if (!text.is_string()) return Error(fmt::format("node {} meminfo is not text", node));
    auto info = parse_node_meminfo(text.get_ref<const std::string&>(), node);
    if (!info) return info.error();
    // The host sums the nodes' sizes: no guest makes them wrap around.
    if (info->total_bytes() > std::numeric_limits<std::uint64_t>::max() - total) {
      return Error("the nodes' MemTotal overflows");
    }
    total += info->total_bytes();
    if (!report.nodes.emplace(node, std::move(*info)).second) return Error(fmt::format("node {} reported twice", node));
  }
  auto vmstat_text = get_string(body, "vmstat");
  if (!vmstat_text) return vmstat_text.error();
  auto vmstat = parse_vmstat(*vmstat_text);
  if (!vmstat) return vmstat.error();
  report.vmstat = std::move(*vmstat);
  if (has(body, "stat")) {
    auto stat_text = get_string(body, "stat");
    if (!stat_text) return stat_text.error();
    auto cpu = parse_proc_stat(*stat_text);
    if (!cpu) return cpu.error();
    report.cpu = std::move(*cpu);
  }
  return report;
}

Result<std::uint64_t> migrated_pages_between(const GuestMemoryReport& before, const GuestMemoryReport& after) {
  auto from = before.pgmigrate_success();
  if (!from) return from.error().context("the report before");
  auto to = after.pgmigrate_success();
  if (!to) return to.error().context("the report after");
  if (*to < *from) {
    return Error(fmt::format("the guest's pgmigrate_success ran backwards ({} -> {})", *from, *to));
  }
  return *to - *from;
}

Result<CpuSpent> cpu_spent_between(const GuestMemoryReport& before, const GuestMemoryReport& after) {
  const auto ticks = [](std::uint64_t from, std::uint64_t to, const std::string& what) -> Result<double> {
    if (to < from) return Error(fmt::format("the guest's busy CPU time of {} ran backwards ({} -> {} ticks)", what, from, to));
    return static_cast<double>(to - from) * kMsPerTick;
  };
  CpuSpent spent;
  auto all = ticks(before.cpu.busy_ticks, after.cpu.busy_ticks, "all vCPUs");
  if (!all) return all.error();
  spent.ms = *all;
  const std::size_t cpus = std::min(before.cpu.busy_per_cpu.size(), after.cpu.busy_per_cpu.size());
  for (std::size_t i = 0; i < cpus; ++i) {
    auto one = ticks(before.cpu.busy_per_cpu[i], after.cpu.busy_per_cpu[i], fmt::format("cpu{}", i));
    if (!one) return one.error();
    spent.per_cpu_ms.push_back(*one);
  }
  return spent;
}

}  // namespace hotmem::protocol

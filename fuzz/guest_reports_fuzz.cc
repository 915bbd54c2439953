// The parsers of the guest's memory reports (protocol/guest_reports.h): every
// input is tried as a node's meminfo (of the node its first line names), as
// /proc/vmstat, as /proc/stat and, when it is a JSON object, as a
// memory_report answer.
// Invariants:
// - what is accepted is within the stated bounds (lines, keys, nodes, CPUs,
//   MemFree <= MemTotal, so a node's used bytes never wrap);
// - what is accepted, written out again in the kernel's format, parses back
//   to the same values;
// - a report's migration counter reads as an error when it is missing,
//   never as 0.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fuzz_support.h"
#include "protocol/guest_reports.h"
#include "protocol/messages.h"

namespace hotmem::protocol {
namespace {

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '(' || c == ')';
    if (!ok) return false;
  }
  return true;
}

// In bytes, without the "kB" unit, which the parser takes as-is.
std::string meminfo_text(const NodeMeminfo& info) {
  std::string text;
  for (const auto& [key, value] : info.fields) text += fmt::format("Node {} {}: {}\n", info.node, key, value);
  return text;
}

std::string vmstat_text(const std::map<std::string, std::uint64_t>& vmstat) {
  std::string text;
  for (const auto& [key, value] : vmstat) text += fmt::format("{} {}\n", key, value);
  return text;
}

// Busy time as "user"; the other counters 0.
std::string stat_text(const CpuTimes& cpu) {
  std::string text = fmt::format("cpu {} 0 0 0 0 0 0 0\n", cpu.busy_ticks);
  for (std::size_t i = 0; i < cpu.busy_per_cpu.size(); ++i) {
    text += fmt::format("cpu{} {} 0 0 0 0 0 0 0\n", i, cpu.busy_per_cpu[i]);
  }
  return text;
}

// The node a meminfo text names on its first line ("Node <n> ..."), else 0:
// the node the host asks for, so that most meminfo inputs get past the check.
int first_node(std::string_view text) {
  int node = 0;
  if (text.starts_with("Node ")) {
    for (char c : text.substr(5, 4)) {
      if (c < '0' || c > '9') break;
      node = node * 10 + (c - '0');
    }
  }
  return node;
}

void check_meminfo(const NodeMeminfo& info, int node) {
  HOTMEM_FUZZ_CHECK(info.node == node);
  HOTMEM_FUZZ_CHECK(info.fields.contains("MemTotal") && info.fields.contains("MemFree"));
  HOTMEM_FUZZ_CHECK(info.free_bytes() <= info.total_bytes());
  HOTMEM_FUZZ_CHECK(info.fields.size() <= kMaxReportLines);
  for (const auto& [key, value] : info.fields) HOTMEM_FUZZ_CHECK(valid_key(key));
  auto again = parse_node_meminfo(meminfo_text(info), node);
  HOTMEM_FUZZ_CHECK(again.ok() && again->fields == info.fields);
}

void check_vmstat(const std::map<std::string, std::uint64_t>& vmstat) {
  HOTMEM_FUZZ_CHECK(vmstat.size() <= kMaxReportLines);
  for (const auto& [key, value] : vmstat) HOTMEM_FUZZ_CHECK(valid_key(key));
  auto again = parse_vmstat(vmstat_text(vmstat));
  HOTMEM_FUZZ_CHECK(again.ok() && *again == vmstat);
}

void check_cpu(const CpuTimes& cpu) {
  HOTMEM_FUZZ_CHECK(cpu.busy_per_cpu.size() <= 1024);
  auto again = parse_proc_stat(stat_text(cpu));
  HOTMEM_FUZZ_CHECK(again.ok() && again->busy_ticks == cpu.busy_ticks && again->busy_per_cpu == cpu.busy_per_cpu);
}

void check_memory_report(const json& body) {
  auto report = parse_memory_report(body);
  if (!report) return;
  HOTMEM_FUZZ_CHECK(report->nodes.size() <= kMaxReportedNodes);
  json nodes = json::object();
  for (const auto& [node, info] : report->nodes) {
    HOTMEM_FUZZ_CHECK(node >= 0 && node < 1024);
    check_meminfo(info, node);
    HOTMEM_FUZZ_CHECK(report->node_used_bytes(node) <= report->node_total_bytes(node));
    nodes[std::to_string(node)] = meminfo_text(info);
  }
  check_vmstat(report->vmstat);
  check_cpu(report->cpu);
  // The migration counter is read only when the guest reported it: never 0
  // in its place.
  auto migrated = report->pgmigrate_success();
  const auto counter = report->vmstat.find("pgmigrate_success");
  HOTMEM_FUZZ_CHECK(migrated.ok() == (counter != report->vmstat.end()));
  if (migrated) HOTMEM_FUZZ_CHECK(*migrated == counter->second);
  auto none_since = migrated_pages_between(*report, *report);
  HOTMEM_FUZZ_CHECK(none_since.ok() == migrated.ok() && (!none_since || *none_since == 0));
  const json again_body{{"nodes", nodes}, {"vmstat", vmstat_text(report->vmstat)}, {"stat", stat_text(report->cpu)}};
  auto again = parse_memory_report(again_body);
  HOTMEM_FUZZ_CHECK(again.ok() && again->nodes.size() == report->nodes.size() && again->vmstat == report->vmstat &&
                    again->cpu.busy_ticks == report->cpu.busy_ticks &&
                    again->cpu.busy_per_cpu == report->cpu.busy_per_cpu);
}

}  // namespace
}  // namespace hotmem::protocol

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotmem::protocol;
  const std::string_view text = hotmem::fuzz::as_text(data, size);
  const int node = first_node(text);
  if (auto info = parse_node_meminfo(text, node)) check_meminfo(*info, node);
  if (auto vmstat = parse_vmstat(text)) check_vmstat(*vmstat);
  if (auto cpu = parse_proc_stat(text)) check_cpu(*cpu);
  if (auto body = parse_object(text)) check_memory_report(*body);
  return 0;
}

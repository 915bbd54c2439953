// Parsers for what the guest reports about its memory: the text of
// /sys/devices/system/node/nodeN/meminfo and /proc/vmstat. The text comes
// from an untrusted guest, so the parsers are strict and bounded.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace hotmem::protocol {

inline constexpr std::size_t kMaxReportLines = 512;

// One node's meminfo, in bytes for the "kB" fields and as-is for counts
// (HugePages_*). Keys as the kernel names them: MemTotal, MemFree, MemUsed...
struct NodeMeminfo {
  int node = 0;
  std::map<std::string, std::uint64_t> fields;

  std::uint64_t get(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? 0 : it->second;
  }
  std::uint64_t total_bytes() const { return get("MemTotal"); }
  std::uint64_t free_bytes() const { return get("MemFree"); }
  std::uint64_t used_bytes() const { return get("MemUsed"); }
  bool operator==(const NodeMeminfo&) const = default;
};

// Parses "Node <n> <Key>: <value> [kB]" lines; every line must name `node`.
Result<NodeMeminfo> parse_node_meminfo(std::string_view text, int node);

// Parses "<key> <value>" lines of /proc/vmstat.
Result<std::map<std::string, std::uint64_t>> parse_vmstat(std::string_view text);

}  // namespace hotmem::protocol

#include <nlohmann/json.hpp>

namespace hotmem::protocol {

inline constexpr std::size_t kMaxReportedNodes = 256;

// Busy CPU time from /proc/stat, in USER_HZ ticks (10 ms on Linux x86-64):
// user + nice + system + irq + softirq + steal, i.e. all but idle and iowait.
struct CpuTimes {
  std::uint64_t busy_ticks = 0;             // the "cpu" line
  std::vector<std::uint64_t> busy_per_cpu;  // "cpu0", "cpu1", ...
  bool operator==(const CpuTimes&) const = default;
};
inline constexpr double kMsPerTick = 10.0;

Result<CpuTimes> parse_proc_stat(std::string_view text);

// A memory_report answer: every node's meminfo, the vmstat counters and the
// guest's CPU time.
struct GuestMemoryReport {
  std::map<int, NodeMeminfo> nodes;
  std::map<std::string, std::uint64_t> vmstat;
  CpuTimes cpu;

  std::uint64_t total_bytes() const;
  std::uint64_t node_total_bytes(int node) const;
  std::uint64_t node_used_bytes(int node) const;
  // A vmstat counter; 0 when the guest did not report it (for counters a
  // kernel leaves out when they are 0 or not built in).
  std::uint64_t vmstat_value(const std::string& key) const;
  // Pages the guest has migrated since it booted. An error when the report
  // lacks the counter: reading it as 0 would pass off a reclaim of unknown
  // migrations as one that migrated nothing.
  Result<std::uint64_t> pgmigrate_success() const;
  bool operator==(const GuestMemoryReport&) const = default;
};

// Validates the body of a memory_report answer.
Result<GuestMemoryReport> parse_memory_report(const nlohmann::json& body);

// Pages the guest migrated between two of its reports. The guest is
// untrusted: a counter missing from either report, or one that ran
// backwards, is an error, never a count of 0 or one wrapped around to 2^64.
Result<std::uint64_t> migrated_pages_between(const GuestMemoryReport& before, const GuestMemoryReport& after);

// Busy CPU time the guest spent between two of its reports, in ms: in all,
// and per vCPU (the vCPUs both reports name). A counter that ran backwards
// is an error, never a time wrapped around to 2^64 ticks.
struct CpuSpent {
  double ms = 0;
  std::vector<double> per_cpu_ms;
};
Result<CpuSpent> cpu_spent_between(const GuestMemoryReport& before, const GuestMemoryReport& after);

}  // namespace hotmem::protocol

// The daemon's metrics, served as Prometheus text at GET /metrics. Counters
// and histograms carry a `function` label; gauges (QEMU RSS) are read when
// scraped. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace hotmem::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}
  void observe(double value);
  // Appends the _bucket, _sum and _count lines for `name{labels}`.
  void render(std::string& out, const std::string& name, const std::string& labels) const;
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

class Metrics {
 public:
  void add(const std::string& counter, const std::string& function, double amount = 1);
  // Latencies in seconds.
  void observe_reclaim(const std::string& function, double seconds);
  void observe_invocation(const std::string& function, double seconds);
  void observe_memory_wait(const std::string& function, double seconds);
  // Sets a gauge (e.g. QEMU RSS) for a function, or for the host when
  // `function` is empty (rendered without a label); `forget` drops a
  // function's gauges, `forget_gauge` one of them.
  void set_gauge(const std::string& gauge, const std::string& function, double value);
  void forget(const std::string& function);
  void forget_gauge(const std::string& gauge, const std::string& function);

  double counter(const std::string& counter, const std::string& function) const;
  // Seconds summed over every observation of a histogram.
  double reclaim_seconds(const std::string& function) const;
  double memory_wait_seconds(const std::string& function) const;
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, double>> counters_;  // name -> function -> value
  std::map<std::string, std::map<std::string, double>> gauges_;
  std::map<std::string, Histogram> reclaim_;
  std::map<std::string, Histogram> invocation_;
  std::map<std::string, Histogram> memory_wait_;
};

// Counter names (all prefixed hotmem_ when rendered).
inline constexpr const char* kPluggedBytes = "plugged_bytes_total";
inline constexpr const char* kUnpluggedBytes = "unplugged_bytes_total";
inline constexpr const char* kMigratedPages = "migrated_pages_total";
inline constexpr const char* kInvocations = "invocations_total";
inline constexpr const char* kInvocationErrors = "invocation_errors_total";
inline constexpr const char* kColdStarts = "cold_starts_total";
inline constexpr const char* kReclaims = "reclaims_total";
inline constexpr const char* kVmFailures = "vm_failures_total";
inline constexpr const char* kVmRecoveries = "vm_recoveries_total";
inline constexpr const char* kEvictions = "evictions_total";
inline constexpr const char* kMemoryWaits = "memory_waits_total";
// Partitions found holding memory their instance left and the agent could
// not clear (then migrated, kept, or unplugged by the driver).
inline constexpr const char* kDirtyPartitionsFound = "dirty_partitions_total";
// Gauge names.
inline constexpr const char* kQemuRss = "qemu_rss_bytes";
inline constexpr const char* kMemoryBudget = "memory_budget_bytes";
inline constexpr const char* kMemoryCommitted = "memory_committed_bytes";
inline constexpr const char* kDirtyPartitions = "dirty_partitions";  // kept dirty now

}  // namespace hotmem::serve

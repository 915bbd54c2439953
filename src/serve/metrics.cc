#include "serve/metrics.h"

#include <fmt/format.h>

namespace hotmem::serve {
namespace {

const std::vector<double> kReclaimBounds{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
const std::vector<double> kInvocationBounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

const std::map<std::string, std::string> kHelp{
    {kPluggedBytes, "Bytes of memory plugged into function VMs"},
    {kUnpluggedBytes, "Bytes of memory given back to the host by reclaims"},
    {kMigratedPages, "Guest pages migrated during reclaims (pgmigrate_success)"},
    {kInvocations, "Invocations answered"},
    {kInvocationErrors, "Invocations that failed"},
    {kColdStarts, "Invocations that started a new instance"},
    {kReclaims, "Reclaims of ended instances' memory"},
    {kVmFailures, "Function VMs found dead or unresponsive (QEMU ended, agent broken or silent)"},
    {kVmRecoveries, "Function VMs booted again after they failed"},
    {kEvictions, "Idle instances evicted before their keep-alive ended, to make room in the memory budget"},
    {kMemoryWaits, "Scale ups that did not get memory in the budget at once (they evicted idle instances or waited)"},
    {kDirtyPartitionsFound,
     "Partitions still holding memory after their instance had gone and the agent had cleared what it could "
     "(then migrated, kept, or unplugged by the driver)"},
    {kDirtyPartitions, "Partitions kept dirty now (plugged, unused, until they are empty)"},
    {kQemuRss, "Resident memory of the function's QEMU process"},
    {kMemoryBudget, "The host's memory budget for all function VMs"},
    {kMemoryCommitted, "Memory a function's VM commits: boot memory and what is plugged for its instances"},
};

const std::vector<double> kMemoryWaitBounds{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

std::string label(const std::string& function) {
  // Function names are validated ([A-Za-z0-9_.-]), so nothing needs escaping.
  return fmt::format("function=\"{}\"", function);
}

void header(std::string& out, const std::string& name, const char* type) {
  auto help = kHelp.find(name);
  out += fmt::format("# HELP hotmem_{} {}\n# TYPE hotmem_{} {}\n", name,
                     help != kHelp.end() ? help->second : name, name, type);
}

}  // namespace

void Histogram::observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, bounds_[i], cumulative);
  }
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, count_);
  out += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels, sum_, name, labels, count_);
}

void Metrics::add(const std::string& counter, const std::string& function, double amount) {
  std::lock_guard lock(mutex_);
  counters_[counter][function] += amount;
}

void Metrics::observe_reclaim(const std::string& function, double seconds) {
  std::lock_guard lock(mutex_);
  reclaim_.try_emplace(function, kReclaimBounds).first->second.observe(seconds);
}

void Metrics::observe_invocation(const std::string& function, double seconds) {
  std::lock_guard lock(mutex_);
  invocation_.try_emplace(function, kInvocationBounds).first->second.observe(seconds);
}

void Metrics::observe_memory_wait(const std::string& function, double seconds) {
  std::lock_guard lock(mutex_);
  memory_wait_.try_emplace(function, kMemoryWaitBounds).first->second.observe(seconds);
}

void Metrics::set_gauge(const std::string& gauge, const std::string& function, double value) {
  std::lock_guard lock(mutex_);
  gauges_[gauge][function] = value;
}

void Metrics::forget(const std::string& function) {
  std::lock_guard lock(mutex_);
  for (auto& [name, values] : gauges_) values.erase(function);
}

void Metrics::forget_gauge(const std::string& gauge, const std::string& function) {
  std::lock_guard lock(mutex_);
  if (auto it = gauges_.find(gauge); it != gauges_.end()) it->second.erase(function);
}

double Metrics::counter(const std::string& counter, const std::string& function) const {
  std::lock_guard lock(mutex_);
  auto c = counters_.find(counter);
  if (c == counters_.end()) return 0;
  auto v = c->second.find(function);
  return v == c->second.end() ? 0 : v->second;
}

namespace {

double sum_of(const std::map<std::string, Histogram>& histograms, const std::string& function) {
  auto h = histograms.find(function);
  return h == histograms.end() ? 0 : h->second.sum();
}

}  // namespace

double Metrics::reclaim_seconds(const std::string& function) const {
  std::lock_guard lock(mutex_);
  return sum_of(reclaim_, function);
}

double Metrics::memory_wait_seconds(const std::string& function) const {
  std::lock_guard lock(mutex_);
  return sum_of(memory_wait_, function);
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const char* name : {kPluggedBytes, kUnpluggedBytes, kMigratedPages, kInvocations, kInvocationErrors,
                           kColdStarts, kReclaims, kVmFailures, kVmRecoveries, kEvictions, kMemoryWaits,
                           kDirtyPartitionsFound}) {
    header(out, name, "counter");
    auto c = counters_.find(name);
    if (c == counters_.end()) continue;
    for (const auto& [function, value] : c->second) out += fmt::format("hotmem_{}{{{}}} {}\n", name, label(function), value);
  }
  for (const auto& [name, values] : gauges_) {
    header(out, name, "gauge");
    for (const auto& [function, value] : values) {
      if (function.empty()) {
        out += fmt::format("hotmem_{} {}\n", name, value);
      } else {
        out += fmt::format("hotmem_{}{{{}}} {}\n", name, label(function), value);
      }
    }
  }
  out += "# HELP hotmem_reclaim_seconds Latency of giving an ended instance's memory back\n"
         "# TYPE hotmem_reclaim_seconds histogram\n";
  for (const auto& [function, h] : reclaim_) h.render(out, "hotmem_reclaim_seconds", label(function));
  out += "# HELP hotmem_invocation_seconds Latency of invocations, queueing and cold start included\n"
         "# TYPE hotmem_invocation_seconds histogram\n";
  for (const auto& [function, h] : invocation_) h.render(out, "hotmem_invocation_seconds", label(function));
  out += "# HELP hotmem_memory_wait_seconds Time scale ups waited for memory in the budget\n"
         "# TYPE hotmem_memory_wait_seconds histogram\n";
  for (const auto& [function, h] : memory_wait_) h.render(out, "hotmem_memory_wait_seconds", label(function));
  return out;
}

}  // namespace hotmem::serve

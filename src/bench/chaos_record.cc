#include "bench/chaos_record.h"

#include <algorithm>
#include <map>

#include "bench/stats.h"

namespace hotmem::bench {

using nlohmann::json;

void ChaosRecord::add(InvocationOutcome outcome) {
  std::lock_guard lock(mutex_);
  invocations_.push_back(std::move(outcome));
}

void ChaosRecord::add(FaultOutcome fault) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
}

std::optional<Clock::time_point> ChaosRecord::served_again(int function, Clock::time_point since) const {
  std::lock_guard lock(mutex_);
  std::optional<Clock::time_point> first;
  for (const InvocationOutcome& i : invocations_) {
    if (i.function != function || !i.ok || i.probe || i.sent < since) continue;
    if (!first || i.done < *first) first = i.done;
  }
  return first;
}

std::size_t ChaosRecord::answered(int function) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(invocations_.begin(), invocations_.end(), [function](const auto& i) {
    return i.function == function && i.ok;
  }));
}

std::vector<InvocationOutcome> ChaosRecord::invocations() const {
  std::lock_guard lock(mutex_);
  return invocations_;
}

std::vector<FaultOutcome> ChaosRecord::faults() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

std::string detail_pattern(const std::string& detail) {
  std::string out;
  for (std::size_t i = 0; i < detail.size();) {
    if (detail[i] >= '0' && detail[i] <= '9') {
      out += 'N';  // and the rest of the number, decimals included
      const auto digit = [&detail](std::size_t at) { return at < detail.size() && detail[at] >= '0' && detail[at] <= '9'; };
      while (digit(i) || (detail[i] == '.' && digit(i + 1))) ++i;
    } else {
      out += detail[i++];
    }
  }
  return out;
}

namespace {

// Groups sorted by count, most first; ties by name.
json by_count(const std::map<std::string, std::size_t>& counts, const char* key) {
  std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  json out = json::array();
  for (const auto& [name, count] : sorted) out.push_back({{key, name}, {"count", count}});
  return out;
}

double seconds_since(Clock::time_point began, Clock::time_point t) { return to_seconds(t - began); }

}  // namespace

json failures_by_reason(const std::vector<InvocationOutcome>& invocations) {
  std::map<std::string, std::size_t> reasons;
  std::map<std::string, std::map<std::string, std::size_t>> details;
  for (const InvocationOutcome& i : invocations) {
    if (i.ok) continue;
    ++reasons[i.reason];
    ++details[i.reason][detail_pattern(i.detail)];
  }
  json out = by_count(reasons, "reason");
  for (json& group : out) group["details"] = by_count(details[group["reason"].get<std::string>()], "detail");
  return out;
}

json summarize(const std::vector<InvocationOutcome>& invocations, const std::vector<FaultOutcome>& faults,
               const std::vector<std::string>& names, Clock::time_point began) {
  std::size_t answered = 0, failed = 0, without_reason = 0, probes = 0;
  for (const InvocationOutcome& i : invocations) {
    probes += i.probe;
    if (i.ok) {
      ++answered;
    } else {
      ++failed;
      without_reason += i.reason.empty();
    }
  }
  std::map<FaultKind, std::size_t> kinds;
  std::size_t vm_faults = 0, recovered = 0;
  std::vector<double> recovery_s;
  json log = json::array();
  for (const FaultOutcome& f : faults) {
    ++kinds[f.kind];
    const std::string function =
        f.function >= 0 && static_cast<std::size_t>(f.function) < names.size() ? names[f.function] : "?";
    json line{{"at_s", seconds_since(began, f.at)}, {"kind", to_string(f.kind)}, {"function", function},
              {"qemu_before", f.qemu_before}, {"qemu_after", f.qemu_after},
              {"served_again_s", f.served_again_after ? json(to_seconds(*f.served_again_after)) : json(nullptr)},
              {"probe", f.probe}, {"note", f.note}};
    log.push_back(std::move(line));
    if (!fails_vm(f.kind)) continue;
    ++vm_faults;
    // Recovered: a new QEMU, and the function answered again.
    if (f.served_again_after && f.qemu_after != 0 && f.qemu_after != f.qemu_before) {
      ++recovered;
      recovery_s.push_back(to_seconds(*f.served_again_after));
    }
  }
  json row{{"invocations", invocations.size()},
           {"answered", answered},
           {"failed", failed},
           {"failed_without_reason", without_reason},
           {"fault_invocations", probes},
           {"faults", faults.size()}};
  for (FaultKind kind : kFaultKinds) {
    std::string key = "faults_" + std::string(to_string(kind));
    std::replace(key.begin(), key.end(), '-', '_');
    row[key] = kinds[kind];
  }
  row["vm_faults"] = vm_faults;
  row["vms_recovered"] = recovered;
  row["not_recovered"] = vm_faults - recovered;
  row["recovery_s_median"] = recovery_s.empty() ? json(nullptr) : json(median(recovery_s));
  row["recovery_s_worst"] =
      recovery_s.empty() ? json(nullptr) : json(*std::max_element(recovery_s.begin(), recovery_s.end()));
  row["recovery_s"] = recovery_s;
  row["failures"] = failures_by_reason(invocations);
  row["fault_log"] = std::move(log);
  return row;
}

}  // namespace hotmem::bench

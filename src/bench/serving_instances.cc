#include "bench/serving_instances.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/poll.h"
#include "protocol/messages.h"

namespace hotmem::bench {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxSamples = 1 << 20;
constexpr std::size_t kMaxBuckets = 4096;  // the agent's own limit
constexpr std::uint64_t kMaxBucketMs = 10000;
constexpr std::uint64_t kMaxRequestsPerBucket = std::uint64_t{1} << 30;

Result<std::vector<std::uint64_t>> unsigned_list(const json& report, const char* key) {
  auto it = report.find(key);
  if (it == report.end() || !it->is_array()) return Error(fmt::format("'{}' must be a list", key));
  if (it->size() > kMaxBuckets) return Error(fmt::format("'{}' has more than {} buckets", key, kMaxBuckets));
  std::vector<std::uint64_t> values;
  values.reserve(it->size());
  for (const json& v : *it) {
    if (!v.is_number_unsigned()) return Error(fmt::format("'{}' must hold non-negative integers", key));
    values.push_back(v.get<std::uint64_t>());
  }
  return values;
}

}  // namespace

Result<host::StartedInstance> start_serving(host::Deployment& d, const std::string& name, const ServingWorkload& w) {
  host::InstanceRequest request;
  request.program.name = name;
  request.program.argv = {"/sbin/hotmem-agent", "workload", "serve", "--mib", std::to_string(w.mib),
                          "--work-kib", std::to_string(w.work_kib), "--period-us", std::to_string(w.period_us),
                          "--bucket-ms", std::to_string(w.bucket_ms), "--seed", std::to_string(w.seed)};
  return d.start(request);
}

Result<std::vector<Clock::time_point>> open_windows(host::Deployment& d, const std::vector<std::string>& names) {
  std::vector<Clock::time_point> opened;
  for (const std::string& name : names) {
    if (Status s = d.signal(name, "USR1"); !s) return s.error().context(name);
    opened.push_back(Clock::now());
  }
  return opened;
}

Result<std::vector<std::string>> close_windows(host::Deployment& d, const std::vector<std::string>& names) {
  auto before = d.guest_instances();
  if (!before) return before.error();
  std::vector<std::uint64_t> reports(names.size(), 0);
  for (const auto& s : *before) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (s.name == names[i]) reports[i] = s.reports;
    }
  }
  for (const std::string& name : names) {
    if (Status s = d.signal(name, "USR2"); !s) return s.error().context(name);
  }
  std::vector<std::string> lines(names.size());
  std::vector<bool> got(names.size(), false);
  auto done = poll_until(
      [&]() -> Result<bool> {
        auto list = d.guest_instances();
        if (!list) return list.error();
        for (const auto& s : *list) {
          for (std::size_t i = 0; i < names.size(); ++i) {
            if (!got[i] && s.name == names[i] && s.reports > reports[i]) {
              lines[i] = s.report;
              got[i] = true;
            }
          }
        }
        return std::find(got.begin(), got.end(), false) == got.end();
      },
      std::chrono::seconds(30), [] { return std::string("a serving instance did not report its window"); });
  if (!done) return done.error();
  return lines;
}

Result<std::vector<double>> parse_latency_report(std::string_view line) {
  auto j = protocol::parse_object(line);
  if (!j) return j.error().context("latency report");
  auto it = j->find("samples_us");
  if (it == j->end() || !it->is_array()) return Error("latency report: 'samples_us' must be a list");
  if (it->size() > kMaxSamples) return Error("latency report: too many samples");
  std::vector<double> ms;
  ms.reserve(it->size());
  for (const json& v : *it) {
    if (!v.is_number_unsigned()) return Error("latency report: samples must be non-negative integers");
    ms.push_back(static_cast<double>(v.get<std::uint64_t>()) / 1000.0);
  }
  return ms;
}

Result<LatencyBuckets> parse_latency_buckets(std::string_view line) {
  auto j = protocol::parse_object(line);
  if (!j) return j.error().context("latency report");
  auto bucket = j->find("bucket_ms");
  if (bucket == j->end() || !bucket->is_number_unsigned() || bucket->get<std::uint64_t>() == 0 ||
      bucket->get<std::uint64_t>() > kMaxBucketMs) {
    return Error(fmt::format("latency report: 'bucket_ms' must be 1-{}", kMaxBucketMs));
  }
  LatencyBuckets out;
  out.bucket = std::chrono::milliseconds(bucket->get<std::uint64_t>());
  auto count = unsigned_list(*j, "count");
  if (!count) return count.error().context("latency report");
  auto sum = unsigned_list(*j, "sum_us");
  if (!sum) return sum.error().context("latency report");
  if (count->size() != sum->size()) return Error("latency report: 'count' and 'sum_us' differ in length");
  for (std::size_t i = 0; i < count->size(); ++i) {
    // A request's latency fits 32 bits of microseconds in the agent.
    if ((*count)[i] > kMaxRequestsPerBucket || (*sum)[i] > (*count)[i] * std::uint64_t{UINT32_MAX}) {
      return Error(fmt::format("latency report: bucket {} sums more than its requests can take", i));
    }
  }
  out.count = std::move(*count);
  out.sum_us = std::move(*sum);
  return out;
}

}  // namespace hotmem::bench

// The agent's `serve` workload seen from the host (agent/workloads.h): start
// a latency-sensitive instance, open and close measurement windows on a
// set of them, and read their reports. Shared by `bench interference` and
// `bench colocation`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/deployment.h"

namespace hotmem::bench {

struct ServingWorkload {
  std::uint64_t mib = 128;       // held, and read and written at random
  std::uint64_t work_kib = 64;   // touched per request
  std::uint64_t period_us = 2000;  // one request every period; 0: one after the other
  std::uint64_t bucket_ms = 0;   // 0: every latency reported; else per bucket
  std::uint64_t seed = 1;
};

// Starts a serving instance named `name`.
Result<host::StartedInstance> start_serving(host::Deployment& d, const std::string& name, const ServingWorkload& w);

// Opens a window on each instance (SIGUSR1); returns when each was signalled.
Result<std::vector<Clock::time_point>> open_windows(host::Deployment& d, const std::vector<std::string>& names);
// Closes each instance's window (SIGUSR2) and returns its report line, in
// the order of `names`; an error if one does not report within 30 s.
Result<std::vector<std::string>> close_windows(host::Deployment& d, const std::vector<std::string>& names);

// A report of every latency: {"window": n, "samples_us": [...]}, in ms.
Result<std::vector<double>> parse_latency_report(std::string_view line);

// A report per bucket: {"window": n, "bucket_ms": B, "count": [...],
// "sum_us": [...]}: bucket i holds the requests that ended i*B to (i+1)*B
// ms after the window opened.
struct LatencyBuckets {
  std::chrono::milliseconds bucket{};
  std::vector<std::uint64_t> count;
  std::vector<std::uint64_t> sum_us;
};
Result<LatencyBuckets> parse_latency_buckets(std::string_view line);

}  // namespace hotmem::bench

#include "replay/replayer.h"

#include <future>
#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"
#include "common/size.h"
#include "serve/function_registry.h"

namespace hotmem::replay {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxErrorsKept = 5;

double percentile_or_zero(const std::vector<double>& values, double p) {
  return values.empty() ? 0 : bench::percentile(values, p);
}

}  // namespace

Result<ModeOutcome> replay_mode(const ReplayPlan& plan, const std::string& mode, const ReplayOptions& options,
                                const ReplayProgress& progress) {
  ModeOutcome out;
  out.mode = mode;
  out.policy = options.policy;
  out.budget_bytes = options.budget_bytes.value_or(0);
  serve::Metrics metrics;
  serve::BudgetConfig budget = serve::unlimited_budget();
  if (options.budget_bytes) budget.budget_bytes = *options.budget_bytes;
  budget.policy = options.policy;
  budget.slack_bytes = options.slack_bytes;
  serve::MemoryBroker broker(budget, metrics);
  if (Status s = broker.start(); !s) return s.error();
  serve::FunctionRegistry registry(options.vm, metrics, broker, plan.functions.size());
  std::vector<std::shared_ptr<serve::Function>> functions;
  for (std::size_t i = 0; i < plan.functions.size(); ++i) {
    serve::FunctionSpec spec = plan.functions[i].spec;
    spec.mode = mode;
    if (i < options.concurrency.size()) spec.concurrency = options.concurrency[i];
    progress(fmt::format("{}: booting the VM of {} ({} MiB x {})", out.label(), spec.name, spec.memory_mib,
                         spec.concurrency));
    auto deployed = registry.deploy(spec);
    if (!deployed) return deployed.error().context("deploy " + spec.name);
    functions.push_back(*deployed);
  }

  // Every mode is measured over the same window, on the same clock: from
  // t0 to the plan's end plus the tail. The sampler stops once a sample
  // lies at or past the window's end, whenever the calls end.
  const Clock::duration window = plan.length + options.tail;
  out.window_s = std::chrono::duration<double>(window).count();
  const auto t0 = Clock::now();
  std::thread sampler([&] {
    for (auto next = t0;; next += options.sample_period) {
      std::this_thread::sleep_until(next);
      std::uint64_t rss = 0;
      for (const auto& f : functions) rss += f->rss_bytes();
      const auto now = Clock::now();
      out.samples.push_back({std::chrono::duration<double>(now - t0).count(), rss, broker.committed_bytes()});
      if (now - t0 >= window) break;
    }
  });

  progress(fmt::format("{}: replaying {} invocations over {:.0f} s{}", out.label(), plan.arrivals.size(),
                       std::chrono::duration<double>(plan.length).count(),
                       options.budget_bytes ? fmt::format(", memory budget {}", format_size(*options.budget_bytes))
                                            : ""));
  std::vector<std::future<Result<serve::InvocationResult>>> calls;
  for (const Arrival& a : plan.arrivals) {
    std::this_thread::sleep_until(t0 + a.at);
    calls.push_back(std::async(std::launch::async, [&options, f = functions[a.function], params = a.params] {
      return f->invoke(params, options.invoke_timeout);
    }));
  }
  out.functions.resize(functions.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    FunctionOutcome& fo = out.functions[plan.arrivals[i].function];
    auto r = calls[i].get();
    if (r) {
      ++fo.answered;
      fo.cold_starts += r->cold;
      fo.latencies_ms.push_back(to_ms(r->total));
      out.latencies_ms.push_back(to_ms(r->total));
    } else {
      ++fo.failed;
      if (out.errors.size() < kMaxErrorsKept) out.errors.push_back(r.error().message());
    }
  }
  for (const FunctionOutcome& fo : out.functions) {
    out.answered += fo.answered;
    out.failed += fo.failed;
    out.cold_starts += fo.cold_starts;
  }
  out.calls_end_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (out.calls_end_s > out.window_s) {
    progress(fmt::format("{}: {} answered, {} failed; the calls ended {:.1f} s after the {:.0f} s footprint window",
                         out.label(), out.answered, out.failed, out.calls_end_s - out.window_s, out.window_s));
  } else {
    progress(fmt::format("{}: {} answered, {} failed; measuring until the {:.0f} s footprint window ends", out.label(),
                         out.answered, out.failed, out.window_s));
  }
  sampler.join();
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const std::string& name = functions[i]->spec().name;
    FunctionOutcome& fo = out.functions[i];
    fo.name = name;
    fo.evictions = metrics.counter(serve::kEvictions, name);
    fo.peak_instances = functions[i]->peak_instances();
    out.migrated_pages += metrics.counter(serve::kMigratedPages, name);
    out.reclaims += metrics.counter(serve::kReclaims, name);
    out.reclaimed_bytes += metrics.counter(serve::kUnpluggedBytes, name);
    out.reclaim_seconds += metrics.reclaim_seconds(name);
    out.evictions += fo.evictions;
    out.memory_waits += metrics.counter(serve::kMemoryWaits, name);
    out.memory_wait_seconds += metrics.memory_wait_seconds(name);
    out.vms_failed += metrics.counter(serve::kVmFailures, name);
  }
  registry.shutdown();
  broker.stop();
  functions.clear();

  out.footprint_gib_s = integrate_gib_s(out.samples, out.window_s, &FootprintSample::rss_bytes);
  out.accounted_gib_s = integrate_gib_s(out.samples, out.window_s, &FootprintSample::committed_bytes);
  for (const auto& s : out.samples) {
    out.peak_rss_bytes = std::max(out.peak_rss_bytes, s.rss_bytes);
    out.peak_committed_bytes = std::max(out.peak_committed_bytes, s.committed_bytes);
  }
  return out;
}

double FunctionOutcome::latency_percentile_ms(double p) const { return percentile_or_zero(latencies_ms, p); }

json FunctionOutcome::to_json() const {
  return json{{"name", name},
              {"answered", answered},
              {"failed", failed},
              {"cold_starts", cold_starts},
              {"evictions", evictions},
              {"peak_instances", peak_instances},
              {"p50_ms", latency_percentile_ms(50)},
              {"p99_ms", latency_percentile_ms(99)},
              {"latencies_ms", latencies_ms}};
}

std::string ModeOutcome::label() const {
  return policy == serve::ReclaimPolicy::kHarvest ? mode + ":harvest" : mode;
}

double ModeOutcome::latency_percentile_ms(double p) const { return percentile_or_zero(latencies_ms, p); }

double ModeOutcome::reclaim_mib_per_s() const {
  return reclaim_seconds > 0 ? reclaimed_bytes / double(kMiB) / reclaim_seconds : 0;
}

json ModeOutcome::to_json() const {
  json samples_json = json::array();
  for (const auto& s : samples) samples_json.push_back({s.t_s, s.rss_bytes, s.committed_bytes});
  json functions_json = json::array();
  for (const auto& f : functions) functions_json.push_back(f.to_json());
  return json{{"mode", label()},
              {"memory_mode", mode},
              {"policy", serve::to_string(policy)},
              {"budget_mib", to_mib(budget_bytes)},
              {"answered", answered},
              {"failed", failed},
              {"errors", errors},
              {"cold_starts", cold_starts},
              {"p50_ms", latency_percentile_ms(50)},
              {"p99_ms", latency_percentile_ms(99)},
              {"latencies_ms", latencies_ms},
              {"functions", functions_json},
              {"window_s", window_s},
              {"calls_end_s", calls_end_s},
              {"footprint_gib_s", footprint_gib_s},
              {"accounted_gib_s", accounted_gib_s},
              {"peak_rss_mib", to_mib(peak_rss_bytes)},
              {"peak_committed_mib", to_mib(peak_committed_bytes)},
              {"migrated_pages", migrated_pages},
              {"reclaims", reclaims},
              {"reclaim_mib_per_s", reclaim_mib_per_s()},
              {"evictions", evictions},
              {"memory_waits", memory_waits},
              {"memory_wait_s", memory_wait_seconds},
              {"vms_failed", vms_failed},
              {"rss_samples", samples_json}};
}

}  // namespace hotmem::replay

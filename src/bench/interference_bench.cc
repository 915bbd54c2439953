#include "bench/interference_bench.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"
#include "bench/serving_instances.h"

namespace hotmem::bench {
namespace {

using nlohmann::json;

constexpr const char* kServer = "latency";

// Runs `during` inside a measurement window of the serving instance and
// returns the request latencies (ms) it saw.
Result<std::vector<double>> measure_window(host::Deployment& d, const std::function<Status()>& during) {
  if (auto opened = open_windows(d, {kServer}); !opened) return opened.error();
  if (Status s = during(); !s) return s.error();
  auto lines = close_windows(d, {kServer});
  if (!lines) return lines.error();
  return parse_latency_report(lines->front());
}

json percentiles(const std::vector<double>& ms, const char* prefix) {
  return json{{fmt::format("{}_p50_ms", prefix), percentile(ms, 50)},
              {fmt::format("{}_p99_ms", prefix), percentile(ms, 99)},
              {fmt::format("{}_samples", prefix), ms.size()}};
}

}  // namespace

Result<json> run_interference_bench(const InterferenceConfig& config, const ExperimentContext& context) {
  if (Status s = validate_modes(config.modes); !s) return s.error();
  const std::size_t victims = config.reclaim_mib / config.workload.instance_mib;
  if (victims == 0 || victims + 1 > static_cast<std::size_t>(config.instances)) {
    return Error("--reclaim-mib must be at least one instance and leave room for the serving one");
  }
  if (config.serve_mib + 32 > config.workload.instance_mib) {
    return Error("the serving instance's memory must fit an instance's limit");
  }
  const std::size_t others = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::ceil(config.utilization * config.instances - 1e-9)) - 1, victims,
      static_cast<std::size_t>(config.instances - 1));
  Progress& progress = *context.progress;
  if (!context.preplanned) progress.plan(config.steps());
  json results = json::array();
  for (const std::string& mode : config.modes) {
    progress.set_stage("interference", mode);
    progress.note("booting");
    auto d = deploy(context, mode, config.instances, config.workload, 0, "bench-" + mode);
    if (!d) return d.error().context(mode);
    ServingWorkload server;
    server.mib = config.serve_mib;
    server.work_kib = config.serve_work_kib;
    server.period_us = config.serve_period_us;
    if (auto started = start_serving(**d, kServer, server); !started) return started.error().context(mode);
    Fleet fleet(**d, config.workload);
    if (Status s = fleet.grow_to(others); !s) return s.error().context(mode);
    std::this_thread::sleep_for(config.settle);

    std::vector<double> idle, busy, reclaim_ms;
    for (int w = 1; w <= config.windows; ++w) {
      auto samples = measure_window(**d, [&] {
        std::this_thread::sleep_for(config.idle_window);
        return ok_status();
      });
      if (!samples) return samples.error().context(mode);
      idle.insert(idle.end(), samples->begin(), samples->end());
      progress.step(fmt::format("idle window {}: {} requests", w, samples->size()));
    }
    for (int w = 1; w <= config.windows; ++w) {
      if (Status s = fleet.grow_to(others); !s) return s.error().context(mode);
      // The victims end before the window: what it measures is the reclaim
      // of their memory, not their own exit work.
      auto stopped = fleet.stop(victims);
      if (!stopped) return stopped.error().context(mode);
      std::this_thread::sleep_for(config.settle);
      // A reclaim window lasts at least as long as an idle one, so both
      // percentiles come from comparable numbers of requests (a short
      // reclaim in a short window would make p99 the single worst request).
      auto samples = measure_window(**d, [&]() -> Status {
        const auto began = Clock::now();
        auto r = measure_reclaim(**d, *stopped);
        if (!r) return r.error();
        reclaim_ms.push_back(r->reclaim_ms);
        std::this_thread::sleep_until(began + config.idle_window);
        return ok_status();
      });
      if (!samples) return samples.error().context(mode);
      busy.insert(busy.end(), samples->begin(), samples->end());
      progress.step(fmt::format("reclaim window {}: {} requests, reclaim {:.0f} ms", w, samples->size(),
                                reclaim_ms.back()));
    }
    json row{{"mode", mode}, {"reclaim_ms", median(reclaim_ms)}};
    row.update(percentiles(idle, "idle"));
    row.update(percentiles(busy, "reclaim"));
    const double idle_p99 = row["idle_p99_ms"].get<double>();
    row["p99_ratio"] = idle_p99 > 0 ? row["reclaim_p99_ms"].get<double>() / idle_p99 : 0.0;
    results.push_back(std::move(row));
  }
  json cfg{{"modes", config.modes},
           {"instances", config.instances},
           {"instance_mib", config.workload.instance_mib},
           {"reclaim_mib", config.reclaim_mib},
           {"utilization", config.utilization},
           {"windows", config.windows},
           {"idle_window_ms", to_ms(config.idle_window)},
           {"serve_mib", config.serve_mib},
           {"serve_work_kib", config.serve_work_kib},
           {"serve_period_us", config.serve_period_us}};
  return result_document("interference", context, std::move(cfg), std::move(results));
}

std::string format_interference_table(const json& document) {
  std::string out = fmt::format("{:<11} {:>9} {:>9} {:>11} {:>11} {:>9} {:>11}\n", "mode", "idle p50", "idle p99",
                                "reclaim p50", "reclaim p99", "p99 ratio", "reclaim ms");
  for (const json& r : document.at("results")) {
    out += fmt::format("{:<11} {:>6.2f} ms {:>6.2f} ms {:>8.2f} ms {:>8.2f} ms {:>8.2f}x {:>8.0f} ms\n",
                       r.at("mode").get<std::string>(), r.at("idle_p50_ms").get<double>(),
                       r.at("idle_p99_ms").get<double>(), r.at("reclaim_p50_ms").get<double>(),
                       r.at("reclaim_p99_ms").get<double>(), r.at("p99_ratio").get<double>(),
                       r.at("reclaim_ms").get<double>());
  }
  return out;
}

}  // namespace hotmem::bench

#include "bench/plug_bench.h"

#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"
#include "host/guest_workloads.h"

namespace hotmem::bench {

using nlohmann::json;

Result<json> run_plug_bench(const PlugBenchConfig& config, const ExperimentContext& context) {
  if (Status s = validate_modes(config.modes); !s) return s.error();
  if (config.start_touch_mib + 32 > config.workload.instance_mib) {
    return Error("the started instance must fit its memory limit");
  }
  Progress& progress = *context.progress;
  if (!context.preplanned) progress.plan(config.steps());
  json results = json::array();
  for (const std::string& mode : config.modes) {
    progress.set_stage("plug", mode);
    progress.note("booting");
    auto d = deploy(context, mode, 2, config.workload, 0, "bench-" + mode);
    if (!d) return d.error().context(mode);
    std::vector<double> plug, start;
    for (int i = 1; i <= config.repeat; ++i) {
      std::this_thread::sleep_for(config.settle);
      host::InstanceRequest r;
      r.program.name = fmt::format("cold-{}", i);
      r.program.argv = host::touch_argv(config.start_touch_mib, 0, static_cast<std::uint64_t>(i));
      auto started = (*d)->start(r);
      if (!started) return started.error().context(mode);
      plug.push_back(to_ms(started->plug_latency));
      start.push_back(to_ms(started->start_latency));
      if (auto back = (*d)->retire({r.program.name}); !back.status) return back.status.error().context(mode);
      progress.step(fmt::format("start {} of {}: plug {:.1f} ms, ready after {:.1f} ms", i, config.repeat,
                                plug.back(), start.back()));
    }
    results.push_back(json{{"mode", mode},
                           {"plug_ms", median(plug)},
                           {"plug_ms_all", plug},
                           {"start_ms", median(start)},
                           {"start_ms_all", start}});
  }
  // The over-provisioned VM is the reference, where it was measured.
  for (const json& r : results) {
    if (r["mode"] != "static") continue;
    for (json& other : results) other["overhead_vs_static_ms"] = other["start_ms"].get<double>() - r["start_ms"].get<double>();
  }
  json cfg{{"modes", config.modes},
           {"instance_mib", config.workload.instance_mib},
           {"start_touch_mib", config.start_touch_mib},
           {"repeat", config.repeat}};
  return result_document("plug", context, std::move(cfg), std::move(results));
}

std::string format_plug_table(const json& document) {
  std::string out = fmt::format("{:<11} {:>10} {:>13} {:>14}\n", "mode", "plug", "cold start", "vs static");
  for (const json& r : document.at("results")) {
    out += fmt::format("{:<11} {:>7.1f} ms {:>10.1f} ms {:>14}\n", r.at("mode").get<std::string>(),
                       r.at("plug_ms").get<double>(), r.at("start_ms").get<double>(),
                       r.contains("overhead_vs_static_ms")
                           ? fmt::format("{:+.1f} ms", r.at("overhead_vs_static_ms").get<double>())
                           : std::string("-"));
  }
  return out;
}

}  // namespace hotmem::bench

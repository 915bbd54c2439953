#include "bench/plug_bench.h"

#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"
#include "host/guest_workloads.h"

namespace hotmem::bench {

using nlohmann::json;

json plug_rows(const std::vector<ModeStarts>& starts) {
  const ModeStarts* reference = nullptr;
  for (const ModeStarts& s : starts) {
    if (s.mode == "static") reference = &s;
  }
  json rows = json::array();
  for (const ModeStarts& s : starts) {
    json row{{"mode", s.mode}, {"starts", s.start_ms.size()}, {"plug_ms_all", s.plug_ms}, {"start_ms_all", s.start_ms}};
    put_spread(row, "plug_ms", spread_of(s.plug_ms));
    put_spread(row, "start_ms", spread_of(s.start_ms));
    if (reference != nullptr) {
      put_spread(row, "overhead_vs_static_ms", spread_of(paired_differences(s.start_ms, reference->start_ms)));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<json> run_plug_bench(const PlugBenchConfig& config, const ExperimentContext& context) {
  if (Status s = validate_modes(config.modes); !s) return s.error();
  if (config.start_touch_mib + 32 > config.workload.instance_mib) {
    return Error("the started instance must fit its memory limit");
  }
  Progress& progress = *context.progress;
  if (!context.preplanned) progress.plan(config.steps());
  std::vector<std::unique_ptr<host::Deployment>> vms;
  std::vector<ModeStarts> starts;
  for (const std::string& mode : config.modes) {
    progress.set_stage("plug", mode);
    progress.note("booting");
    auto d = deploy(context, mode, 2, config.workload, 0, "bench-" + mode);
    if (!d) return d.error().context(mode);
    vms.push_back(std::move(*d));
    starts.push_back(ModeStarts{mode, {}, {}});
  }
  const std::size_t n = vms.size();
  for (int round = 1; round <= config.repeat; ++round) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t m = (k + static_cast<std::size_t>(round)) % n;  // rotate who goes first
      ModeStarts& s = starts[m];
      progress.set_stage("plug", s.mode);
      std::this_thread::sleep_for(config.settle);
      host::InstanceRequest r;
      r.program.name = fmt::format("cold-{}", round);
      r.program.argv = host::touch_argv(config.start_touch_mib, 0, static_cast<std::uint64_t>(round));
      auto started = vms[m]->start(r);
      if (!started) return started.error().context(s.mode);
      s.plug_ms.push_back(to_ms(started->plug_latency));
      s.start_ms.push_back(to_ms(started->start_latency));
      if (auto back = vms[m]->retire({r.program.name}); !back.status) return back.status.error().context(s.mode);
      progress.step(fmt::format("round {} of {}: plug {:.1f} ms, ready after {:.1f} ms", round, config.repeat,
                                s.plug_ms.back(), s.start_ms.back()));
    }
  }
  json cfg{{"modes", config.modes},
           {"instance_mib", config.workload.instance_mib},
           {"start_touch_mib", config.start_touch_mib},
           {"repeat", config.repeat},
           {"interleaved", true}};
  return result_document("plug", context, std::move(cfg), plug_rows(starts));
}

namespace {

// "median [p25, p75] ms" of a row's key; signed for differences.
std::string median_and_quartiles(const json& row, const std::string& key, bool sign) {
  auto number = [sign](double v, int digits) {
    return sign ? fmt::format("{:+.{}f}", v, digits) : fmt::format("{:.{}f}", v, digits);
  };
  const std::string median = number(row.at(key).get<double>(), 1);
  if (!row.contains(key + "_p25")) return median + " ms";  // files from before the quartiles
  return fmt::format("{} [{}, {}] ms", median, number(row.at(key + "_p25").get<double>(), 0),
                     number(row.at(key + "_p75").get<double>(), 0));
}

}  // namespace

std::string format_plug_table(const json& document) {
  std::string out = fmt::format("{:<11} {:>6}  {:<24} {:<26} {}\n", "mode", "starts", "plug median [p25, p75]",
                                "cold start median [p25, p75]", "vs static (paired)");
  for (const json& r : document.at("results")) {
    out += fmt::format("{:<11} {:>6}  {:<24} {:<26} {}\n", r.at("mode").get<std::string>(),
                       r.value("starts", r.at("start_ms_all").size()), median_and_quartiles(r, "plug_ms", false),
                       median_and_quartiles(r, "start_ms", false),
                       r.contains("overhead_vs_static_ms") ? median_and_quartiles(r, "overhead_vs_static_ms", true)
                                                           : std::string("-"));
  }
  return out;
}

}  // namespace hotmem::bench

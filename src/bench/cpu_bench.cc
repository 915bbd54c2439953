#include "bench/cpu_bench.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"

namespace hotmem::bench {

using nlohmann::json;

Result<json> run_cpu_bench(const CpuBenchConfig& config, const ExperimentContext& context) {
  if (Status s = validate_modes(config.modes); !s) return s.error();
  const std::size_t victims = config.reclaim_mib / config.workload.instance_mib;
  if (victims == 0 || config.reclaim_mib % config.workload.instance_mib != 0 ||
      victims > static_cast<std::size_t>(config.instances)) {
    return Error(fmt::format("--reclaim-mib {} must be 1-{} whole instances of {} MiB", config.reclaim_mib,
                             config.instances, config.workload.instance_mib));
  }
  const std::size_t running = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::ceil(config.utilization * config.instances - 1e-9)), victims,
      static_cast<std::size_t>(config.instances));
  Progress& progress = *context.progress;
  if (!context.preplanned) progress.plan(config.steps());
  json results = json::array();
  for (int init_on_alloc : config.init_on_alloc) {
    for (const std::string& mode : config.modes) {
      const std::string label = fmt::format("{}, init_on_alloc={}", mode, init_on_alloc);
      progress.set_stage("cpu", label);
      progress.note("booting");
      auto d = deploy(context, mode, config.instances, config.workload, init_on_alloc, "bench-" + mode);
      if (!d) return d.error().context(label);
      Fleet fleet(**d, config.workload);
      double guest = 0, host = 0, bytes = 0;
      std::vector<double> per_vcpu, latencies;
      for (int i = 1; i <= config.reclaims; ++i) {
        if (Status s = fleet.grow_to(running); !s) return s.error().context(label);
        std::this_thread::sleep_for(config.settle);
        auto sample = measure_reclaim(fleet, victims);
        if (!sample) return sample.error().context(label);
        guest += sample->guest_cpu_ms;
        host += sample->host_cpu_ms;
        bytes += static_cast<double>(sample->reclaimed_bytes);
        latencies.push_back(sample->reclaim_ms);
        per_vcpu.resize(std::max(per_vcpu.size(), sample->guest_cpu_ms_per_vcpu.size()), 0.0);
        for (std::size_t c = 0; c < sample->guest_cpu_ms_per_vcpu.size(); ++c) per_vcpu[c] += sample->guest_cpu_ms_per_vcpu[c];
        progress.step(fmt::format("reclaim {} of {}: guest {:.0f} ms, QEMU {:.0f} ms of CPU", i, config.reclaims,
                                  sample->guest_cpu_ms, sample->host_cpu_ms));
      }
      const double gib = bytes / static_cast<double>(kGiB);
      json row{{"mode", mode},
               {"init_on_alloc", init_on_alloc},
               {"reclaims", config.reclaims},
               {"reclaimed_mib", bytes / static_cast<double>(kMiB)},
               {"reclaim_ms", median(latencies)},
               {"guest_cpu_ms", guest},
               {"guest_cpu_ms_per_vcpu", per_vcpu},
               {"host_cpu_ms", host}};
      // static gives nothing back: no "per GiB" to speak of.
      row["guest_cpu_ms_per_gib"] = gib > 0 ? json(guest / gib) : json(nullptr);
      row["host_cpu_ms_per_gib"] = gib > 0 ? json(host / gib) : json(nullptr);
      results.push_back(std::move(row));
    }
  }
  json cfg{{"modes", config.modes},           {"instances", config.instances},
           {"instance_mib", config.workload.instance_mib}, {"reclaim_mib", config.reclaim_mib},
           {"utilization", config.utilization}, {"reclaims", config.reclaims},
           {"init_on_alloc", config.init_on_alloc}};
  return result_document("cpu", context, std::move(cfg), std::move(results));
}

std::string format_cpu_table(const json& document) {
  std::string out = fmt::format("{:<11} {:>4} {:>9} {:>12} {:>14} {:>12} {:>14}  {}\n", "mode", "zero", "reclaimed",
                                "guest CPU", "guest ms/GiB", "QEMU CPU", "QEMU ms/GiB", "guest CPU per vCPU (ms)");
  for (const json& r : document.at("results")) {
    std::vector<std::string> vcpus;
    for (const json& v : r.at("guest_cpu_ms_per_vcpu")) vcpus.push_back(fmt::format("{:.0f}", v.get<double>()));
    auto per_gib = [&](const char* key) {
      return r.at(key).is_null() ? std::string("-") : fmt::format("{:.0f}", r.at(key).get<double>());
    };
    out += fmt::format("{:<11} {:>4} {:>5.0f} MiB {:>9.0f} ms {:>14} {:>9.0f} ms {:>14}  [{}]\n",
                       r.at("mode").get<std::string>(), r.at("init_on_alloc").get<int>() ? "on" : "off",
                       r.at("reclaimed_mib").get<double>(), r.at("guest_cpu_ms").get<double>(),
                       per_gib("guest_cpu_ms_per_gib"), r.at("host_cpu_ms").get<double>(), per_gib("host_cpu_ms_per_gib"),
                       fmt::join(vcpus, ", "));
  }
  return out;
}

}  // namespace hotmem::bench

#include "bench/reclaim_bench.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"

namespace hotmem::bench {
namespace {

using nlohmann::json;

// Seeds the order of the settings in each round (run_reclaim_bench).
constexpr std::uint32_t kRoundOrderSeed = 20261129;

json summarize(const std::string& mode, int init_on_alloc, double utilization, std::size_t running,
               const std::vector<ReclaimSample>& samples) {
  std::vector<double> ms, rss, cpu, host_cpu, migrated;
  std::size_t by_event = 0;
  json preemptions = json::array();
  for (const ReclaimSample& s : samples) {
    preemptions.push_back(s.vcpu_preemptions ? json(*s.vcpu_preemptions) : json());
    by_event += s.dated_by_event ? 1 : 0;
    ms.push_back(s.reclaim_ms);
    rss.push_back(s.rss_released_mib);
    cpu.push_back(s.guest_cpu_ms);
    host_cpu.push_back(s.host_cpu_ms);
    migrated.push_back(static_cast<double>(s.migrated_pages));
  }
  return json{{"mode", mode},
              {"init_on_alloc", init_on_alloc},
              {"utilization", utilization},
              {"instances_running", running},
              {"reclaim_mib", samples.empty() ? 0.0 : to_mib(samples.front().reclaimed_bytes)},
              {"reclaim_ms", median(ms)},
              {"reclaim_ms_all", ms},
              {"reclaims_dated_by_event", by_event},
              {"migrated_pages", static_cast<std::uint64_t>(median(migrated))},
              {"migrated_pages_all", migrated},
              {"host_rss_released_mib", median(rss)},
              {"guest_cpu_ms", median(cpu)},
              {"host_cpu_ms", median(host_cpu)},
              {"vcpu_preemptions_all", std::move(preemptions)}};
}

}  // namespace

Status validate(const ReclaimBenchConfig& c) {
  if (Status s = validate_modes(c.modes); !s) return s;
  if (Status s = validate_layout(c.instances, c.workload, c.reclaim_mibs, "--reclaim-mib"); !s) return s;
  if (c.utilizations.empty()) return Error("no utilisation given");
  for (double u : c.utilizations) {
    if (!(u > 0 && u <= 1)) return Error("--utilization values must be in (0, 1]");
  }
  if (c.repeat < 1) return Error("--repeat must be at least 1");
  for (int v : c.init_on_alloc) {
    if (v != 0 && v != 1) return Error("--guest-init-on-alloc takes 0 and/or 1");
  }
  return ok_status();
}

Result<nlohmann::json> run_reclaim_bench(const ReclaimBenchConfig& config, const ExperimentContext& context) {
  if (Status s = validate(config); !s) return s.error();
  Progress& progress = *context.progress;
  std::vector<double> utilizations = config.utilizations;
  std::sort(utilizations.begin(), utilizations.end());
  std::vector<std::uint64_t> sizes = config.reclaim_mibs;
  std::sort(sizes.begin(), sizes.end());
  if (!context.preplanned) progress.plan(config.steps());
  json results = json::array();
  for (int init_on_alloc : config.init_on_alloc) {
    for (const std::string& mode : config.modes) {
      const std::string label = fmt::format("{}, init_on_alloc={}", mode, init_on_alloc);
      progress.set_stage(config.benchmark, label);
      progress.note(fmt::format("booting a VM for {} instances of {} MiB", config.instances,
                                config.workload.instance_mib));
      auto deployment = deploy(context, mode, config.instances, config.workload, init_on_alloc, "bench-" + mode);
      if (!deployment) return deployment.error().context(label);
      Fleet fleet(**deployment, config.workload);
      // Every setting's k-th sample is taken in the k-th round, the
      // settings in an order shuffled per round (seeded: the same in every
      // run). So a setting's samples are spread over the mode's whole run,
      // not taken in one stretch of it: this host's own speed changes over
      // minutes (a fixed loop takes 11 or 22 ms by the minute,
      // docs/benchmarks.md), and a stretch would hand one setting a fast or
      // a slow period whole. And no setting always follows the same one
      // (e.g. the lowest utilisation, after the mass reclaim that gets there):
      // what a sample inherits from the one before is spread over them all.
      struct Setting {
        std::uint64_t size = 0;
        std::size_t victims = 0;
        std::size_t running = 0;
        double utilization = 0;
        std::vector<ReclaimSample> samples;
      };
      std::vector<Setting> settings;
      for (std::uint64_t size : sizes) {
        const std::size_t victims = size / config.workload.instance_mib;
        for (double u : utilizations) {
          const auto wanted = static_cast<std::size_t>(std::ceil(u * config.instances - 1e-9));
          const std::size_t running =
              std::clamp<std::size_t>(wanted, victims, static_cast<std::size_t>(config.instances));
          settings.push_back(Setting{.size = size,
                                     .victims = victims,
                                     .running = running,
                                     .utilization = static_cast<double>(running) / config.instances,
                                     .samples = {}});
        }
      }
      std::vector<std::size_t> order(settings.size());
      std::iota(order.begin(), order.end(), 0);
      std::mt19937 shuffler(kRoundOrderSeed);
      for (int rep = 1; rep <= config.repeat; ++rep) {
        std::shuffle(order.begin(), order.end(), shuffler);
        for (std::size_t index : order) {
          Setting& at = settings[index];
          progress.note(fmt::format("{} MiB at {:.0f}% ({} instances), reclaim {} of {}", at.size,
                                    at.utilization * 100, at.running, rep, config.repeat));
          if (Status s = fleet.shrink_to(at.running); !s) return s.error().context(label);
          if (Status s = fleet.grow_to(at.running); !s) return s.error().context(label);
          std::this_thread::sleep_for(config.settle);
          auto sample = measure_reclaim(fleet, at.victims);
          if (!sample) return sample.error().context(label);
          progress.step(fmt::format("{:.1f} ms, {} pages migrated, {:.0f} MiB back to the host{}", sample->reclaim_ms,
                                    sample->migrated_pages, sample->rss_released_mib,
                                    sample->vcpu_preemptions
                                        ? fmt::format(", vCPU preempted {} times", *sample->vcpu_preemptions)
                                        : ""));
          at.samples.push_back(*sample);
        }
      }
      // Where QEMU's threads ran, read once after the mode's last sample.
      const json placement = placement_json(**deployment);
      for (const Setting& at : settings) {
        json row = summarize(mode, init_on_alloc, at.utilization, at.running, at.samples);
        row["cpu_placement"] = placement;
        results.push_back(std::move(row));
      }
    }
  }
  json cfg{{"modes", config.modes},
           {"instances", config.instances},
           {"instance_mib", config.workload.instance_mib},
           {"reclaim_mib", config.reclaim_mibs},
           {"utilizations", config.utilizations},
           {"repeat", config.repeat},
           {"init_on_alloc", config.init_on_alloc},
           {"file_mib", config.workload.file_mib},
           {"headroom_mib", config.workload.headroom_mib},
           {"settle_ms", to_ms(config.settle)}};
  return result_document(config.benchmark, context, std::move(cfg), std::move(results));
}

std::string format_reclaim_table(const json& document) {
  std::string out = fmt::format("{:<11} {:>4} {:>5} {:>9} {:>10} {:>9} {:>10} {:>9} {:>9}  {}\n", "mode", "zero",
                                "util", "reclaim", "median ms", "migrated", "host back", "guest CPU", "host CPU",
                                "all ms");
  for (const json& r : document.at("results")) {
    std::vector<std::string> all;
    for (const json& v : r.at("reclaim_ms_all")) all.push_back(fmt::format("{:.0f}", v.get<double>()));
    out += fmt::format("{:<11} {:>4} {:>4.0f}% {:>5.0f} MiB {:>10.1f} {:>9} {:>6.0f} MiB {:>6.0f} ms {:>6.0f} ms  [{}]\n",
                       r.at("mode").get<std::string>(), r.at("init_on_alloc").get<int>() ? "on" : "off",
                       r.at("utilization").get<double>() * 100, r.at("reclaim_mib").get<double>(),
                       r.at("reclaim_ms").get<double>(), r.at("migrated_pages").get<std::uint64_t>(),
                       r.at("host_rss_released_mib").get<double>(), r.at("guest_cpu_ms").get<double>(),
                       r.value("host_cpu_ms", 0.0), fmt::join(all, ", "));
  }
  // Speed-ups of hotmem over every other mode at the same settings.
  std::map<std::tuple<int, double, double>, double> hotmem_ms;
  for (const json& r : document.at("results")) {
    if (r.at("mode") == "hotmem") {
      hotmem_ms[{r.at("init_on_alloc").get<int>(), r.at("utilization").get<double>(), r.at("reclaim_mib").get<double>()}] =
          r.at("reclaim_ms").get<double>();
    }
  }
  for (const json& r : document.at("results")) {
    if (r.at("mode") == "hotmem" || r.at("reclaim_ms").get<double>() <= 0) continue;  // static gives nothing back
    const int zeroing = r.at("init_on_alloc").get<int>();
    const double util = r.at("utilization").get<double>();
    const double mib = r.at("reclaim_mib").get<double>();
    // Against hotmem with the same guest setting, and (the paper's
    // comparison) hotmem without zeroing against the guest's default.
    std::vector<int> hotmem_settings{zeroing};
    if (zeroing == 1) hotmem_settings.push_back(0);
    for (int hotmem_zeroing : hotmem_settings) {
      auto it = hotmem_ms.find({hotmem_zeroing, util, mib});
      if (it == hotmem_ms.end() || it->second <= 0) continue;
      const double ratio = r.at("reclaim_ms").get<double>() / it->second;
      out += fmt::format("hotmem (zeroing {}) reclaims {:.0f} MiB {:.1f}x {} than {} (zeroing {}) at {:.0f}% utilisation\n",
                         hotmem_zeroing ? "on" : "off", mib, ratio >= 1 ? ratio : 1 / ratio,
                         ratio >= 1 ? "faster" : "slower", r.at("mode").get<std::string>(), zeroing ? "on" : "off",
                         util * 100);
    }
  }
  return out;
}

}  // namespace hotmem::bench

#include "bench/scale_bench.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"

namespace hotmem::bench {

using nlohmann::json;

namespace {

std::vector<double> plug_ms_of(const std::vector<host::StartedInstance>& started) {
  std::vector<double> ms;
  for (const host::StartedInstance& s : started) ms.push_back(to_ms(s.plug_latency));
  return ms;
}

}  // namespace

Status validate(const ScaleBenchConfig& c) {
  if (Status s = validate_partitions(c.partitions, c.workload, "--partitions"); !s) return s;
  if (c.reclaim_counts.empty()) return Error("no reclaim count given");
  for (int k : c.reclaim_counts) {
    if (k < 1 || k > c.partitions) {
      return Error(fmt::format("--reclaim {}: each count must be 1-{} (the partitions)", k, c.partitions));
    }
  }
  if (c.repeat < 1) return Error("--repeat must be at least 1");
  return ok_status();
}

Result<json> run_scale_bench(const ScaleBenchConfig& config, const ExperimentContext& context) {
  if (Status s = validate(config); !s) return s.error();
  Progress& progress = *context.progress;
  if (!context.preplanned) progress.plan(config.steps());
  progress.set_stage("scale", "hotmem");
  progress.note(fmt::format("booting a VM with {} partitions of {} MiB", config.partitions,
                            config.workload.instance_mib));
  auto d = deploy(context, "hotmem", config.partitions, config.workload, 0, "bench-scale");
  if (!d) return d.error().context("scale");
  const json vm = (*d)->describe()["vm"];
  const double boot_ms = vm.value("boot_ms", 0.0);
  const std::uint64_t boot_memory = vm.value("boot_memory_bytes", std::uint64_t{0});

  Fleet fleet(**d, config.workload);
  const auto size = static_cast<std::size_t>(config.partitions);
  std::vector<host::StartedInstance> filled;
  const auto fill_began = Clock::now();
  if (Status s = fleet.grow_to(size, &filled); !s) return s.error().context("scale: fill");
  const double fill_s = to_seconds(Clock::now() - fill_began);
  const std::vector<double> fresh = plug_ms_of(filled);
  progress.step(fmt::format("booted in {:.1f} s with {} MiB; {} instances started in {:.1f} s, plug median {:.1f} ms",
                            boot_ms / 1000, boot_memory / kMiB, size, fill_s, median(fresh)));

  std::vector<int> counts = config.reclaim_counts;
  std::sort(counts.begin(), counts.end());
  json results = json::array();
  for (int k : counts) {
    std::vector<ReclaimSample> samples;
    std::vector<double> replug;
    for (int rep = 1; rep <= config.repeat; ++rep) {
      progress.note(fmt::format("reclaim {} of {} partitions at once, {} of {}", k, size, rep, config.repeat));
      std::this_thread::sleep_for(config.settle);
      auto sample = measure_reclaim(fleet, static_cast<std::size_t>(k));
      if (!sample) return sample.error().context(fmt::format("scale: reclaim {}", k));
      std::vector<host::StartedInstance> again;
      if (Status s = fleet.grow_to(size, &again); !s) return s.error().context(fmt::format("scale: re-plug {}", k));
      const std::vector<double> ms = plug_ms_of(again);
      replug.insert(replug.end(), ms.begin(), ms.end());
      progress.step(fmt::format("{} partitions back in {:.1f} ms ({} pages migrated); re-plugs median {:.1f}, max {:.1f} ms",
                                k, sample->reclaim_ms, sample->migrated_pages, median(ms), percentile(ms, 100)));
      samples.push_back(*sample);
    }
    std::vector<double> reclaim_ms, guest_cpu, migrated;
    for (const ReclaimSample& s : samples) {
      reclaim_ms.push_back(s.reclaim_ms);
      guest_cpu.push_back(s.guest_cpu_ms);
      migrated.push_back(static_cast<double>(s.migrated_pages));
    }
    results.push_back(json{{"mode", "hotmem"},
                           {"partitions", size},
                           {"reclaim_partitions", k},
                           {"reclaim_ms", median(reclaim_ms)},
                           {"reclaim_ms_all", reclaim_ms},
                           {"reclaim_ms_per_partition", median(reclaim_ms) / k},
                           {"guest_cpu_ms", median(guest_cpu)},
                           {"migrated_pages", static_cast<std::uint64_t>(percentile(migrated, 100))},
                           {"replug_ms", median(replug)},
                           {"replug_ms_max", percentile(replug, 100)},
                           {"fresh_plug_ms", median(fresh)},
                           {"fresh_plug_ms_max", percentile(fresh, 100)},
                           {"boot_ms", boot_ms},
                           {"boot_memory_mib", boot_memory / kMiB},
                           {"fill_s", fill_s}});
  }
  const double one = results.front()["reclaim_partitions"] == 1 ? results.front()["reclaim_ms"].get<double>() : 0;
  for (json& r : results) {
    if (one > 0) r["vs_one"] = r["reclaim_ms"].get<double>() / one;
    r["replug_vs_fresh"] = r["replug_ms_max"].get<double>() / std::max(r["fresh_plug_ms"].get<double>(), 1e-3);
  }
  json cfg{{"partitions", config.partitions},
           {"instance_mib", config.workload.instance_mib},
           {"reclaim_counts", counts},
           {"repeat", config.repeat}};
  return result_document("scale", context, std::move(cfg), std::move(results));
}

std::string format_scale_table(const json& document) {
  const json& rows = document.at("results");
  if (rows.empty()) return "scale: no results\n";
  const json& first = rows.front();
  std::string out = fmt::format(
      "scale: {} partitions of {} MiB, boot {:.1f} s with {} MiB of boot memory; filled in {:.1f} s, plug median "
      "{:.1f} ms, max {:.1f} ms\n",
      first.at("partitions").get<int>(), document.at("config").value("instance_mib", 0),
      first.at("boot_ms").get<double>() / 1000, first.at("boot_memory_mib").get<std::uint64_t>(),
      first.at("fill_s").get<double>(), first.at("fresh_plug_ms").get<double>(),
      first.at("fresh_plug_ms_max").get<double>());
  out += fmt::format("{:>9} {:>12} {:>10} {:>14} {:>10} {:>9} {:>20}\n", "at once", "reclaim", "vs one",
                     "per partition", "guest CPU", "migrated", "re-plug median/max");
  for (const json& r : rows) {
    out += fmt::format("{:>9} {:>9.1f} ms {:>10} {:>11.1f} ms {:>7.0f} ms {:>9} {:>9.1f}/{:.1f} ms\n",
                       r.at("reclaim_partitions").get<int>(), r.at("reclaim_ms").get<double>(),
                       r.contains("vs_one") ? fmt::format("{:.2f}x", r.at("vs_one").get<double>()) : "-",
                       r.at("reclaim_ms_per_partition").get<double>(), r.at("guest_cpu_ms").get<double>(),
                       r.at("migrated_pages").get<std::uint64_t>(), r.at("replug_ms").get<double>(),
                       r.at("replug_ms_max").get<double>());
  }
  return out;
}

}  // namespace hotmem::bench

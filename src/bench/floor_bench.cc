#include "bench/floor_bench.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"

namespace hotmem::bench {

using nlohmann::json;

namespace {

std::vector<double> floor_values(const std::vector<ReclaimSample>& samples,
                                 const std::function<double(const ReclaimSample&)>& field) {
  std::vector<double> out;
  for (const ReclaimSample& s : samples) out.push_back(field(s));
  return out;
}

double ratio_or_zero(double numerator, double denominator) { return denominator > 0 ? numerator / denominator : 0; }

// Plugs `partitions` partitions for no instance beside `neighbours` running
// instances, lets them settle as a reclaim bench's fleet does, and reclaims
// them through the deployment's retire, the path every reclaim takes.
Result<ReclaimSample> measure_unused_reclaim(host::Deployment& d, Fleet& fleet, std::size_t neighbours,
                                             std::size_t partitions, int& serial, Clock::duration settle) {
  if (Status s = fleet.shrink_to(neighbours); !s) return s.error();
  if (Status s = fleet.grow_to(neighbours); !s) return s.error();
  std::vector<std::string> names;
  for (std::size_t i = 0; i < partitions; ++i) {
    names.push_back(fmt::format("unused-{}", serial++));
    if (auto plugged = d.plug_unused(names.back()); !plugged) return plugged.error().context("plug " + names.back());
  }
  std::this_thread::sleep_for(settle);
  return measure_reclaim(d, names);
}

}  // namespace

Status validate(const FloorBenchConfig& c) {
  if (Status s = validate_layout(c.instances, c.workload, c.sizes_mib, "--sizes"); !s) return s;
  if (!(c.utilization > 0 && c.utilization <= 1)) return Error("--utilization must be in (0, 1]");
  if (c.repeat < 1) return Error("--repeat must be at least 1");
  if (c.init_on_alloc != 0 && c.init_on_alloc != 1) return Error("--guest-init-on-alloc takes 0 or 1");
  return ok_status();
}

std::size_t floor_running(const FloorBenchConfig& config, std::size_t partitions) {
  const auto wanted = static_cast<std::size_t>(std::ceil(config.utilization * config.instances - 1e-9));
  return std::clamp<std::size_t>(wanted, partitions, static_cast<std::size_t>(config.instances));
}

bool unused_first(int round) { return round % 2 == 0; }

json floor_row(std::uint64_t size_mib, std::size_t running, double utilization, const std::vector<ReclaimSample>& unused,
               const std::vector<ReclaimSample>& reclaimed) {
  json row{{"mode", "hotmem"}, {"reclaim_mib", size_mib}, {"instances_running", running}, {"utilization", utilization}};
  // Per variant: "unused_" for (a), none for (b).
  for (const auto& [prefix, samples] : {std::pair<std::string, const std::vector<ReclaimSample>*>{"unused_", &unused},
                                        std::pair<std::string, const std::vector<ReclaimSample>*>{"", &reclaimed}}) {
    const auto ms = floor_values(*samples, [](const ReclaimSample& s) { return s.reclaim_ms; });
    const auto device = floor_values(*samples, [](const ReclaimSample& s) { return s.device_ms; });
    const auto migrated = floor_values(*samples, [](const ReclaimSample& s) { return double(s.migrated_pages); });
    const auto back = floor_values(*samples, [](const ReclaimSample& s) { return to_mib(s.reclaimed_bytes); });
    const std::string total_key = prefix.empty() ? "reclaim_ms" : "unused_ms";
    put_spread(row, total_key, spread_of(ms));
    row[total_key + "_all"] = ms;
    put_spread(row, prefix + "device_ms", spread_of(device));
    row[prefix + "device_ms_all"] = device;
    // The most any sample migrated, and the least any gave back: one bad
    // sample shows.
    row[prefix + "migrated_pages"] = migrated.empty() ? 0.0 : *std::max_element(migrated.begin(), migrated.end());
    row[prefix + "unplugged_mib"] = back.empty() ? 0.0 : *std::min_element(back.begin(), back.end());
    row[prefix + "host_rss_released_mib"] =
        median(floor_values(*samples, [](const ReclaimSample& s) { return s.rss_released_mib; }));
    row[prefix + "guest_cpu_ms"] = median(floor_values(*samples, [](const ReclaimSample& s) { return s.guest_cpu_ms; }));
  }
  row["ratio_vs_floor"] = ratio_or_zero(row["reclaim_ms"].get<double>(), row["unused_ms"].get<double>());
  row["device_ratio_vs_floor"] = ratio_or_zero(row["device_ms"].get<double>(), row["unused_device_ms"].get<double>());
  return row;
}

Result<json> run_floor_bench(const FloorBenchConfig& config, const ExperimentContext& context) {
  if (Status s = validate(config); !s) return s.error();
  Progress& progress = *context.progress;
  if (!context.preplanned) progress.plan(config.steps());
  progress.set_stage("floor", "hotmem");
  progress.note(fmt::format("booting a VM for {} instances of {} MiB", config.instances, config.workload.instance_mib));
  auto d = deploy(context, "hotmem", config.instances, config.workload, config.init_on_alloc, "bench-floor");
  if (!d) return d.error().context("floor");
  Fleet fleet(**d, config.workload);
  std::vector<std::uint64_t> sizes = config.sizes_mib;
  std::sort(sizes.begin(), sizes.end());
  json results = json::array();
  int serial = 0;
  for (std::uint64_t size : sizes) {
    const std::size_t partitions = size / config.workload.instance_mib;
    const std::size_t running = floor_running(config, partitions);
    std::vector<ReclaimSample> unused, reclaimed;
    for (int round = 1; round <= config.repeat; ++round) {
      for (bool measure_unused : {unused_first(round), !unused_first(round)}) {
        const char* variant = measure_unused ? "unused memory" : "hotmem reclaim";
        progress.note(fmt::format("{} MiB, round {} of {}: {}", size, round, config.repeat, variant));
        Result<ReclaimSample> sample = Error("not measured");
        if (measure_unused) {
          sample = measure_unused_reclaim(**d, fleet, running - partitions, partitions, serial, config.settle);
        } else if (Status s = fleet.grow_to(running); !s) {
          sample = s.error();
        } else {
          std::this_thread::sleep_for(config.settle);
          sample = measure_reclaim(fleet, partitions);
        }
        if (!sample) return sample.error().context(fmt::format("floor, {} MiB, {}", size, variant));
        progress.step(fmt::format("{}: {:.1f} ms (device {:.1f} ms), {} pages migrated", variant, sample->reclaim_ms,
                                  sample->device_ms, sample->migrated_pages));
        (measure_unused ? unused : reclaimed).push_back(*sample);
      }
    }
    json row = floor_row(size, running, static_cast<double>(running) / config.instances, unused, reclaimed);
    row["init_on_alloc"] = config.init_on_alloc;
    results.push_back(std::move(row));
  }
  json cfg{{"instances", config.instances},
           {"instance_mib", config.workload.instance_mib},
           {"sizes_mib", config.sizes_mib},
           {"utilization", config.utilization},
           {"repeat", config.repeat},
           {"init_on_alloc", config.init_on_alloc},
           {"file_mib", config.workload.file_mib},
           {"headroom_mib", config.workload.headroom_mib},
           {"settle_ms", to_ms(config.settle)}};
  return result_document("floor", context, std::move(cfg), std::move(results));
}

namespace {

std::string floor_cell(const json& row, const std::string& key) {
  return fmt::format("{:.1f} [{:.0f}, {:.0f}]", row.at(key).get<double>(), row.at(key + "_p25").get<double>(),
                     row.at(key + "_p75").get<double>());
}

}  // namespace

std::string format_floor_table(const json& document) {
  std::string out = fmt::format("{:>9} {:>4}  {:<20} {:<20} {:<20} {:<20} {:>7} {:>13} {:>15}\n", "size", "ran",
                                "(a) unused ms", "(b) reclaim ms", "(c) device of (b)", "device of (a)", "(b)/(a)",
                                "migrated a/b", "unplugged a/b");
  for (const json& r : document.at("results")) {
    out += fmt::format("{:>5.0f} MiB {:>4}  {:<20} {:<20} {:<20} {:<20} {:>6.2f}x {:>13} {:>15}\n",
                       r.at("reclaim_mib").get<double>(), r.at("instances_running").get<std::size_t>(),
                       floor_cell(r, "unused_ms"), floor_cell(r, "reclaim_ms"), floor_cell(r, "device_ms"),
                       floor_cell(r, "unused_device_ms"), r.at("ratio_vs_floor").get<double>(),
                       fmt::format("{:.0f} / {:.0f}", r.at("unused_migrated_pages").get<double>(),
                                   r.at("migrated_pages").get<double>()),
                       fmt::format("{:.0f} / {:.0f} MiB", r.at("unused_unplugged_mib").get<double>(),
                                   r.at("unplugged_mib").get<double>()));
  }
  for (const json& r : document.at("results")) {
    out += fmt::format("hotmem reclaims {:.0f} MiB in {:.2f}x the floor (unused memory, same path); its device part "
                       "{:.2f}x the floor's\n",
                       r.at("reclaim_mib").get<double>(), r.at("ratio_vs_floor").get<double>(),
                       r.at("device_ratio_vs_floor").get<double>());
  }
  return out;
}

}  // namespace hotmem::bench

#include "bench/reclaim_bench.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "bench/host_info.h"
#include "bench/stats.h"
#include "host/deployment.h"
#include "host/guest_workloads.h"

namespace hotmem::bench {
namespace {

using nlohmann::json;

struct Sample {
  double reclaim_ms = 0;
  std::uint64_t reclaimed_bytes = 0;
  std::uint64_t migrated_pages = 0;
  double rss_released_mib = 0;
  double guest_cpu_ms = 0;
};

// Keeps a deployment at a number of running instances.
class Fleet {
 public:
  Fleet(host::Deployment& d, const ReclaimBenchConfig& config) : d_(d), config_(config) {}

  Status grow_to(std::size_t count) {
    while (running_.size() < count) {
      host::InstanceRequest r;
      r.name = fmt::format("inst-{}", next_++);
      const std::uint64_t anon = config_.instance_mib - config_.headroom_mib - config_.file_mib;
      r.argv = host::touch_argv(anon, config_.file_mib, next_);
      r.scratch_bytes = (config_.file_mib + 16) * kMiB;
      auto started = d_.pool().start(r);
      if (!started) return started.error().context("start " + r.name);
      running_.push_back(r.name);
    }
    return ok_status();
  }

  // Stops `count` instances spread evenly over the start order.
  Result<std::vector<host::StoppedInstance>> stop(std::size_t count) {
    std::vector<std::string> victims;
    const std::size_t n = running_.size();
    for (std::size_t i = 0; i < count; ++i) victims.push_back(running_[i * n / count]);
    std::vector<host::StoppedInstance> stopped;
    for (const std::string& name : victims) {
      auto s = d_.pool().stop(name, std::chrono::seconds(30));
      if (!s) return s.error().context("stop " + name);
      stopped.push_back(*s);
      running_.erase(std::find(running_.begin(), running_.end(), name));
    }
    return stopped;
  }

  Status shrink_to(std::size_t count) {
    if (running_.size() <= count) return ok_status();
    auto stopped = stop(running_.size() - count);
    if (!stopped) return stopped.error();
    auto back = d_.pool().reclaim(*stopped);
    if (!back) return back.error();
    return ok_status();
  }

  std::size_t size() const { return running_.size(); }

 private:
  host::Deployment& d_;
  const ReclaimBenchConfig& config_;
  std::vector<std::string> running_;
  int next_ = 0;
};

Result<Sample> measure_once(host::Deployment& d, Fleet& fleet, std::size_t victims) {
  auto stopped = fleet.stop(victims);
  if (!stopped) return stopped.error();
  auto before = d.vm().agent().memory_report();
  if (!before) return before.error();
  auto rss_before = d.vm().vmm().rss_bytes();
  if (!rss_before) return rss_before.error();
  auto reclaimed = d.pool().reclaim(*stopped);
  if (!reclaimed) return reclaimed.error();
  auto after = d.vm().agent().memory_report();
  if (!after) return after.error();
  auto rss_after = d.vm().vmm().rss_bytes();
  if (!rss_after) return rss_after.error();
  Sample s;
  s.reclaim_ms = to_ms(reclaimed->latency);
  s.reclaimed_bytes = reclaimed->bytes;
  s.migrated_pages = after->pgmigrate_success() - before->pgmigrate_success();
  s.rss_released_mib = to_mib(*rss_before) - to_mib(*rss_after);
  s.guest_cpu_ms = static_cast<double>(after->cpu.busy_ticks - before->cpu.busy_ticks) * protocol::kMsPerTick;
  return s;
}

json summarize(const std::string& mode, int init_on_alloc, double utilization, std::size_t running,
               const std::vector<Sample>& samples) {
  std::vector<double> ms, rss, cpu, migrated;
  for (const Sample& s : samples) {
    ms.push_back(s.reclaim_ms);
    rss.push_back(s.rss_released_mib);
    cpu.push_back(s.guest_cpu_ms);
    migrated.push_back(static_cast<double>(s.migrated_pages));
  }
  return json{{"mode", mode},
              {"init_on_alloc", init_on_alloc},
              {"utilization", utilization},
              {"instances_running", running},
              {"reclaim_mib", samples.empty() ? 0.0 : to_mib(samples.front().reclaimed_bytes)},
              {"reclaim_ms", median(ms)},
              {"reclaim_ms_all", ms},
              {"migrated_pages", static_cast<std::uint64_t>(median(migrated))},
              {"migrated_pages_all", migrated},
              {"host_rss_released_mib", median(rss)},
              {"guest_cpu_ms", median(cpu)}};
}

}  // namespace

Status validate(const ReclaimBenchConfig& c) {
  if (c.modes.empty()) return Error("no modes to run");
  for (const std::string& m : c.modes) {
    if (auto mode = host::make_memory_mode(m); !mode) return mode.error();
  }
  if (c.instances < 1 || c.instances > 64) return Error("--instances must be 1-64");
  if (c.instance_mib % 128 != 0 || c.instance_mib == 0) {
    return Error("--instance-mib must be a multiple of 128 (one partition per instance, in whole memory blocks)");
  }
  if (c.instance_mib <= c.headroom_mib + c.file_mib) return Error("--instance-mib leaves no room for the workload");
  if (c.reclaim_mib == 0 || c.reclaim_mib % c.instance_mib != 0) {
    return Error(fmt::format("--reclaim-mib must be a whole number of instances ({} MiB each)", c.instance_mib));
  }
  if (c.reclaim_mib / c.instance_mib > static_cast<std::uint64_t>(c.instances)) {
    return Error(fmt::format("--reclaim-mib {} needs {} instances; the VM holds {} (raise --instances)",
                             c.reclaim_mib, c.reclaim_mib / c.instance_mib, c.instances));
  }
  for (double u : c.utilizations) {
    if (!(u > 0 && u <= 1)) return Error("--utilization values must be in (0, 1]");
  }
  if (c.repeat < 1) return Error("--repeat must be at least 1");
  for (int v : c.init_on_alloc) {
    if (v != 0 && v != 1) return Error("--guest-init-on-alloc takes 0 and/or 1");
  }
  return ok_status();
}

Result<json> run_reclaim_bench(const ReclaimBenchConfig& config) {
  if (Status s = validate(config); !s) return s.error();
  const std::size_t victims = config.reclaim_mib / config.instance_mib;
  std::vector<double> utilizations = config.utilizations;
  std::sort(utilizations.begin(), utilizations.end());
  json results = json::array();
  for (int init_on_alloc : config.init_on_alloc) {
    for (const std::string& mode : config.modes) {
      const std::string label = fmt::format("{}, init_on_alloc={}", mode, init_on_alloc);
      config.progress(fmt::format("[{}] booting a VM for {} instances of {} MiB", label, config.instances,
                                  config.instance_mib));
      host::DeploymentSpec spec;
      spec.mode = mode;
      spec.shape.max_instances = config.instances;
      spec.shape.instance_bytes = config.instance_mib * kMiB;
      spec.vm = config.vm;
      spec.vm.name = fmt::format("bench-{}", mode);
      spec.vm.guest_init_on_alloc = init_on_alloc;
      auto deployment = host::Deployment::create(spec);
      if (!deployment) return deployment.error().context(label);
      Fleet fleet(**deployment, config);
      for (double u : utilizations) {
        const auto wanted = static_cast<std::size_t>(std::ceil(u * config.instances - 1e-9));
        const std::size_t running = std::clamp<std::size_t>(wanted, victims, static_cast<std::size_t>(config.instances));
        const double actual = static_cast<double>(running) / config.instances;
        std::vector<Sample> samples;
        for (int rep = 1; rep <= config.repeat; ++rep) {
          config.progress(fmt::format("[{}] utilisation {:.0f}%: filling to {} instances, reclaim {} of {}", label,
                                      actual * 100, running, rep, config.repeat));
          if (Status s = fleet.shrink_to(running); !s) return s.error().context(label);
          if (Status s = fleet.grow_to(running); !s) return s.error().context(label);
          std::this_thread::sleep_for(config.settle);
          auto sample = measure_once(**deployment, fleet, victims);
          if (!sample) return sample.error().context(label);
          config.progress(fmt::format("[{}]   {:.1f} ms, {} pages migrated, {:.0f} MiB back to the host", label,
                                      sample->reclaim_ms, sample->migrated_pages, sample->rss_released_mib));
          samples.push_back(*sample);
        }
        results.push_back(summarize(mode, init_on_alloc, actual, running, samples));
      }
    }
  }
  json cfg{{"modes", config.modes},
           {"instances", config.instances},
           {"instance_mib", config.instance_mib},
           {"reclaim_mib", config.reclaim_mib},
           {"utilizations", config.utilizations},
           {"repeat", config.repeat},
           {"init_on_alloc", config.init_on_alloc},
           {"file_mib", config.file_mib},
           {"headroom_mib", config.headroom_mib},
           {"settle_ms", to_ms(config.settle)},
           {"boot_memory_mib", config.vm.base_bytes / kMiB},
           {"vcpus", config.vm.vcpus}};
  return json{{"benchmark", "reclaim"}, {"host", host_info(config.vm.accel)}, {"config", cfg}, {"results", results}};
}

std::string format_reclaim_table(const json& document) {
  std::string out = fmt::format("{:<11} {:>5} {:>6} {:>9} {:>10}  {:<28} {:>9} {:>10} {:>9}\n", "mode",
                                "zero", "util", "reclaim", "median ms", "all ms", "migrated", "host back", "guest CPU");
  for (const json& r : document.at("results")) {
    std::vector<std::string> all;
    for (const json& v : r.at("reclaim_ms_all")) all.push_back(fmt::format("{:.0f}", v.get<double>()));
    out += fmt::format("{:<11} {:>5} {:>5.0f}% {:>5.0f} MiB {:>10.1f}  {:<28} {:>9} {:>6.0f} MiB {:>6.0f} ms\n",
                       r.at("mode").get<std::string>(), r.at("init_on_alloc").get<int>() ? "on" : "off",
                       r.at("utilization").get<double>() * 100, r.at("reclaim_mib").get<double>(),
                       r.at("reclaim_ms").get<double>(), fmt::format("[{}]", fmt::join(all, ", ")),
                       r.at("migrated_pages").get<std::uint64_t>(), r.at("host_rss_released_mib").get<double>(),
                       r.at("guest_cpu_ms").get<double>());
  }
  // Speed-ups of hotmem over every other mode at the same settings.
  std::map<std::tuple<int, double>, double> hotmem_ms;
  for (const json& r : document.at("results")) {
    if (r.at("mode") == "hotmem") {
      hotmem_ms[{r.at("init_on_alloc").get<int>(), r.at("utilization").get<double>()}] = r.at("reclaim_ms").get<double>();
    }
  }
  for (const json& r : document.at("results")) {
    if (r.at("mode") == "hotmem") continue;
    const int zeroing = r.at("init_on_alloc").get<int>();
    const double util = r.at("utilization").get<double>();
    // Against hotmem with the same guest setting, and (the paper's
    // comparison) hotmem without zeroing against the guest's default.
    std::vector<int> hotmem_settings{zeroing};
    if (zeroing == 1) hotmem_settings.push_back(0);
    for (int hotmem_zeroing : hotmem_settings) {
      auto it = hotmem_ms.find({hotmem_zeroing, util});
      if (it == hotmem_ms.end() || it->second <= 0) continue;
      const double ratio = r.at("reclaim_ms").get<double>() / it->second;
      out += fmt::format("hotmem (zeroing {}) reclaims {:.1f}x {} than {} (zeroing {}) at {:.0f}% utilisation\n",
                         hotmem_zeroing ? "on" : "off", ratio >= 1 ? ratio : 1 / ratio,
                         ratio >= 1 ? "faster" : "slower", r.at("mode").get<std::string>(), zeroing ? "on" : "off",
                         util * 100);
    }
  }
  return out;
}

}  // namespace hotmem::bench

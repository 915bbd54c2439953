#include "bench/colocation_bench.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"

namespace hotmem::bench {

using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint64_t kBucketMs = 100;

// What a serving instance holds: its partition but the headroom.
std::uint64_t serving_mib(const ColocationConfig& c) { return c.workload.instance_mib - c.workload.headroom_mib; }

double ratio(double a, double b) { return std::isfinite(a) && std::isfinite(b) && b > 0 ? a / b : kNaN; }

// JSON has no NaN: a second without requests is null.
json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

struct Eviction {
  ReclaimSample reclaim;
  double retire_ms = 0;  // stopping the instances and reclaiming their memory
};

// Starts both functions' instances in turns, so their memory interleaves in
// the VM as it does after a while of scaling up and down (started one
// function after the other, a mode that unplugs from the top would find the
// evicted function's memory all there). Returns the serving ones' names.
Result<std::vector<std::string>> start_in_turns(const ColocationConfig& config, host::Deployment& d, Fleet& evicted,
                                                int round) {
  std::vector<std::string> serving;
  for (int i = 0; i < std::max(config.serving, config.evicted); ++i) {
    if (i < config.serving) {
      ServingWorkload w;
      w.mib = serving_mib(config);
      w.work_kib = config.work_kib;
      w.period_us = 0;
      w.bucket_ms = kBucketMs;
      w.seed = static_cast<std::uint64_t>(i + 1);
      serving.push_back(fmt::format("serving-{}-{}", round, i));
      if (auto started = start_serving(d, serving.back(), w); !started) return started.error();
    }
    if (i < config.evicted) {
      if (Status s = evicted.grow_to(static_cast<std::size_t>(i + 1)); !s) return s.error();
    }
  }
  return serving;
}

// One round on an empty VM: both functions' instances start, a steady
// stretch, the eviction, the stretch after it; the serving instances'
// windows go into `seconds`, and then they retire too.
Result<Eviction> evict_once(const ColocationConfig& config, host::Deployment& d, int round,
                            SecondsAroundEvent& seconds) {
  Fleet evicted(d, config.workload, OnStop::kExit);
  auto serving = start_in_turns(config, d, evicted, round);
  if (!serving) return serving.error();
  std::this_thread::sleep_for(config.settle);
  auto opened = open_windows(d, *serving);
  if (!opened) return opened.error();
  std::this_thread::sleep_until(opened->back() + std::chrono::seconds(config.before_s));
  const auto at = Clock::now();
  auto retired = evicted.retire(static_cast<std::size_t>(config.evicted));
  if (!retired) return retired.error().context("eviction");
  auto sample = sample_of(*retired);
  if (!sample) return sample.error().context("eviction");
  Eviction e{*sample, to_ms(Clock::now() - at)};
  std::this_thread::sleep_until(at + std::chrono::seconds(config.after_s));
  auto lines = close_windows(d, *serving);
  if (!lines) return lines.error();
  for (std::size_t i = 0; i < lines->size(); ++i) {
    auto buckets = parse_latency_buckets((*lines)[i]);
    if (!buckets) return buckets.error().context((*serving)[i]);
    seconds.add(*buckets, (*opened)[i] - at);
  }
  if (host::RetireReport done = d.retire(*serving); !done.status) return done.status.error().context("after");
  return e;
}

Result<json> run_mode(const ColocationConfig& config, const ExperimentContext& context, const std::string& mode) {
  Progress& progress = *context.progress;
  progress.set_stage("colocation", mode);
  progress.note("booting");
  auto d = deploy(context, mode, config.serving + config.evicted, config.workload, 0, "bench-colocation-" + mode);
  if (!d) return d.error();
  SecondsAroundEvent seconds(config.before_s, config.after_s);
  std::vector<double> reclaim_ms, retire_ms, worst_ratio;
  std::uint64_t migrated = 0;
  double guest_cpu_ms = 0;
  for (int r = 1; r <= config.repeat; ++r) {
    SecondsAroundEvent one(config.before_s, config.after_s);
    auto e = evict_once(config, **d, r, one);
    if (!e) return e.error();
    reclaim_ms.push_back(e->reclaim.reclaim_ms);
    retire_ms.push_back(e->retire_ms);
    migrated += e->reclaim.migrated_pages;
    guest_cpu_ms += e->reclaim.guest_cpu_ms;
    const double w = ratio(one.worst_ms(0, one.last()), one.mean_before_ms());
    worst_ratio.push_back(w);
    seconds.merge(one);
    progress.step(fmt::format("eviction {}: reclaim {:.0f} ms, {} pages migrated, worst second after {:.2f}x", r,
                              e->reclaim.reclaim_ms, e->reclaim.migrated_pages, w));
  }
  json per_second_ms = json::array(), per_second_requests = json::array();
  for (int s = seconds.first(); s <= seconds.last(); ++s) {
    per_second_ms.push_back(number_or_null(seconds.mean_ms(s)));
    per_second_requests.push_back(seconds.requests(s));
  }
  const double before = seconds.mean_before_ms();
  const double worst_after = seconds.worst_ms(0, seconds.last());
  return json{{"mode", mode},
              {"evictions", config.repeat},
              {"before_mean_ms", number_or_null(before)},
              {"before_worst_ms", number_or_null(seconds.worst_ms(seconds.first(), -1))},
              {"before_worst_ratio", number_or_null(ratio(seconds.worst_ms(seconds.first(), -1), before))},
              {"worst_after_ms", number_or_null(worst_after)},
              {"worst_after_ratio", number_or_null(ratio(worst_after, before))},
              {"worst_after_ratio_all", worst_ratio},
              {"reclaim_ms", median(reclaim_ms)},
              {"retire_ms", median(retire_ms)},
              {"migrated_pages", migrated},
              {"guest_cpu_ms", guest_cpu_ms / config.repeat},
              {"first_second", seconds.first()},
              {"per_second_ms", per_second_ms},
              {"per_second_requests", per_second_requests}};
}

}  // namespace

SecondsAroundEvent::SecondsAroundEvent(int before_s, int after_s)
    : before_s_(before_s),
      after_s_(after_s),
      requests_(static_cast<std::size_t>(before_s + after_s), 0),
      sum_ms_(static_cast<std::size_t>(before_s + after_s), 0.0) {}

void SecondsAroundEvent::add(const LatencyBuckets& window, Clock::duration opened) {
  for (std::size_t i = 0; i < window.count.size(); ++i) {
    const auto middle = opened + window.bucket * static_cast<std::int64_t>(i) + window.bucket / 2;
    const auto second = static_cast<int>(std::floor(to_seconds(middle)));
    if (second < first() || second > last()) continue;
    const auto at = static_cast<std::size_t>(second - first());
    requests_[at] += window.count[i];
    sum_ms_[at] += static_cast<double>(window.sum_us[i]) / 1000.0;
  }
}

void SecondsAroundEvent::merge(const SecondsAroundEvent& other) {
  for (std::size_t i = 0; i < requests_.size() && i < other.requests_.size(); ++i) {
    requests_[i] += other.requests_[i];
    sum_ms_[i] += other.sum_ms_[i];
  }
}

std::uint64_t SecondsAroundEvent::requests(int second) const {
  return second < first() || second > last() ? 0 : requests_[static_cast<std::size_t>(second - first())];
}

double SecondsAroundEvent::mean_ms(int second) const {
  const std::uint64_t n = requests(second);
  return n == 0 ? kNaN : sum_ms_[static_cast<std::size_t>(second - first())] / static_cast<double>(n);
}

double SecondsAroundEvent::mean_before_ms() const {
  std::uint64_t n = 0;
  double sum = 0;
  for (int s = first(); s < 0; ++s) {
    n += requests(s);
    sum += sum_ms_[static_cast<std::size_t>(s - first())];
  }
  return n == 0 ? kNaN : sum / static_cast<double>(n);
}

double SecondsAroundEvent::worst_ms(int from, int to) const {
  double worst = kNaN;
  for (int s = std::max(from, first()); s <= std::min(to, last()); ++s) {
    const double m = mean_ms(s);
    if (std::isfinite(m) && !(m <= worst)) worst = m;
  }
  return worst;
}

Status validate(const ColocationConfig& c) {
  if (Status s = validate_modes(c.modes); !s) return s;
  if (c.vcpus < 1 || c.vcpus > 16) return Error("--vcpus must be 1-16");
  if (c.serving < 1 || c.evicted < 1) return Error("--serving and --evicted must each be at least 1");
  if (Status s = validate_partitions(c.serving + c.evicted, c.workload, "--serving plus --evicted"); !s) return s;
  if (c.work_kib == 0 || c.work_kib >= (serving_mib(c) << 10)) {
    return Error(fmt::format("--work-kib must be 1-{} (what a serving instance holds)", (serving_mib(c) << 10) - 1));
  }
  if (c.before_s < 1 || c.before_s > 600 || c.after_s < 1 || c.after_s > 600) {
    return Error("--before-s and --after-s must be 1-600");
  }
  if (c.repeat < 1) return Error("--repeat must be at least 1");
  return ok_status();
}

Result<json> run_colocation_bench(const ColocationConfig& config, const ExperimentContext& base) {
  if (Status s = validate(config); !s) return s.error();
  ExperimentContext context = base;
  context.vm.vcpus = config.vcpus;
  if (!context.preplanned) context.progress->plan(config.steps());
  json results = json::array();
  for (const std::string& mode : config.modes) {
    auto row = run_mode(config, context, mode);
    if (!row) return row.error().context(mode);
    results.push_back(std::move(*row));
  }
  json cfg{{"modes", config.modes},
           {"vcpus", config.vcpus},
           {"serving", config.serving},
           {"evicted", config.evicted},
           {"instance_mib", config.workload.instance_mib},
           {"serving_mib", serving_mib(config)},
           {"evicted_anon_mib", config.workload.anon_mib()},
           {"evicted_file_mib", config.workload.file_mib},
           {"work_kib", config.work_kib},
           {"bucket_ms", kBucketMs},
           {"before_s", config.before_s},
           {"after_s", config.after_s},
           {"repeat", config.repeat}};
  return result_document("colocation", context, std::move(cfg), std::move(results));
}

std::string format_colocation_table(const json& document) {
  std::string out = fmt::format("{:<11} {:>11} {:>11} {:>12} {:>12} {:>10} {:>9}\n", "mode", "before ms", "worst after",
                                "after/before", "noise before", "reclaim ms", "migrated");
  auto num = [](const json& row, const char* key) {
    const json& v = row.at(key);
    return v.is_number() ? v.get<double>() : kNaN;
  };
  for (const json& r : document.at("results")) {
    out += fmt::format("{:<11} {:>8.2f} ms {:>8.2f} ms {:>11.2f}x {:>11.2f}x {:>10.0f} {:>9}\n",
                       r.at("mode").get<std::string>(), num(r, "before_mean_ms"), num(r, "worst_after_ms"),
                       num(r, "worst_after_ratio"), num(r, "before_worst_ratio"), num(r, "reclaim_ms"),
                       r.at("migrated_pages").get<std::uint64_t>());
  }
  return out;
}

}  // namespace hotmem::bench

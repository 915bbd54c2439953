#include "bench/soak_bench.h"

#include <filesystem>
#include <future>
#include <thread>

#include <fmt/format.h>

#include "common/proc_stats.h"
#include "serve/served_function.h"

namespace hotmem::bench {
namespace {

using nlohmann::json;

std::size_t open_fds() {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    ++n;
  }
  return n;
}

struct Counts {
  int answered = 0;
  int failed = 0;
  int lost = 0;
  std::vector<std::string> errors;  // the first few, for the report
};

// One scale-up: `concurrency` invocations at once, each answered or failed.
void cycle(serve::ServedFunction& f, const SoakConfig& config, int index, Counts& counts) {
  std::vector<std::future<Result<serve::InvocationResult>>> calls;
  for (int i = 0; i < config.concurrency; ++i) {
    const json params{{"mib", config.touch_mib}, {"ms", config.hold_ms}, {"echo", index * 1000 + i}};
    calls.push_back(std::async(std::launch::async, [&f, params, &config] { return f.invoke(params, config.invoke_timeout); }));
  }
  for (int i = 0; i < config.concurrency; ++i) {
    auto& call = calls[static_cast<std::size_t>(i)];
    if (call.wait_for(config.invoke_timeout + std::chrono::seconds(30)) != std::future_status::ready) {
      ++counts.lost;  // never answered: the future is abandoned with its thread
      continue;
    }
    auto outcome = call.get();
    if (outcome && outcome->result.value("echo", -1) == index * 1000 + i) {
      ++counts.answered;
    } else {
      ++counts.failed;
      if (counts.errors.size() < 5) {
        counts.errors.push_back(outcome ? "wrong answer: " + outcome->result.dump() : outcome.error().message());
      }
    }
  }
}

}  // namespace

Status validate(const SoakConfig& config) {
  if (Status s = validate_modes(config.modes); !s) return s;
  if (config.cycles < 1) return Error("--cycles must be at least 1");
  if (config.concurrency < 1 || config.concurrency > serve::kMaxConcurrency) {
    return Error(fmt::format("--concurrency must be 1-{}", serve::kMaxConcurrency));
  }
  if (config.touch_mib + 32 > config.instance_mib) return Error("--touch-mib must leave 32 MiB of --instance-mib");
  return ok_status();
}

Result<json> run_soak_bench(const SoakConfig& config, const ExperimentContext& context) {
  if (Status s = validate(config); !s) return s.error();
  Progress& progress = *context.progress;
  if (!context.preplanned) progress.plan(config.steps());
  json results = json::array();
  for (const std::string& mode : config.modes) {
    progress.set_stage("soak", mode);
    progress.note("booting");
    serve::Metrics metrics;
    serve::MemoryBroker broker(serve::unlimited_budget(), metrics);
    serve::FunctionSpec spec;
    spec.name = "soak-" + mode;
    spec.memory_mib = config.instance_mib;
    spec.concurrency = config.concurrency;
    spec.mode = mode;
    spec.keep_alive = std::chrono::seconds(0);
    host::FunctionVmConfig vm = context.vm;
    vm.memory_devices.clear();
    auto deployed = serve::ServedFunction::deploy(spec, vm, metrics, broker);
    if (!deployed) return deployed.error().context(mode);
    serve::ServedFunction& f = **deployed;
    const json described = f.describe();
    const std::string run_dir = described["vm"]["run_dir"];

    // Warm-up: the guest's first-use allocations on node 0 are not a leak.
    Counts warmup;
    cycle(f, config, 0, warmup);
    if (Status s = wait_idle(f, config.idle_timeout); !s) return s.error().context(mode + " warm-up");
    const std::uint64_t rss_baseline = f.rss_bytes();
    const std::size_t fds_before = open_fds();

    Counts counts;
    std::string stuck;
    const auto began = Clock::now();
    for (int c = 1; c <= config.cycles; ++c) {
      cycle(f, config, c, counts);
      if (Status s = wait_idle(f, config.idle_timeout); !s) {
        stuck = s.error().message();
        break;
      }
      progress.step(fmt::format("cycle {} of {}: {} answered, {} failed, {} lost, QEMU RSS {:.0f} MiB", c,
                                config.cycles, counts.answered, counts.failed, counts.lost, to_mib(f.rss_bytes())));
    }
    const double elapsed_s = to_ms(Clock::now() - began) / 1000;
    const std::uint64_t rss_after = f.rss_bytes();
    const std::size_t fds_after = open_fds();
    const json after = f.describe();
    int partitions_left = 0;
    for (const json& p : after["memory"].value("partitions", json::array())) partitions_left += p["state"] != "empty";
    auto guest = f.guest_instance_count();
    const std::size_t qemus = processes_matching(run_dir + "/qmp.sock").size();
    const double plugged = metrics.counter(serve::kPluggedBytes, spec.name);
    const double unplugged = metrics.counter(serve::kUnpluggedBytes, spec.name);
    results.push_back(json{
        {"mode", mode},
        {"cycles", config.cycles},
        {"invocations", config.cycles * config.concurrency},
        {"answered", counts.answered},
        {"failed", counts.failed},
        {"lost", counts.lost},
        {"errors", counts.errors},
        {"stuck", stuck},
        // The counters include the warm-up cycle.
        {"cold_starts", metrics.counter(serve::kColdStarts, spec.name)},
        {"reclaims", metrics.counter(serve::kReclaims, spec.name)},
        {"migrated_pages", metrics.counter(serve::kMigratedPages, spec.name)},
        {"plugged_mib", plugged / double(kMiB)},
        {"unplugged_mib", unplugged / double(kMiB)},
        {"rss_baseline_mib", to_mib(rss_baseline)},
        {"rss_after_mib", to_mib(rss_after)},
        {"rss_change_pct", rss_baseline ? 100.0 * (double(rss_after) - double(rss_baseline)) / double(rss_baseline) : 0.0},
        {"fds_before", fds_before},
        {"fds_after", fds_after},
        {"partitions_left", partitions_left},
        {"host_instances_left", after["instances"].size()},
        {"guest_instances_left", guest ? json(*guest) : json(guest.error().message())},
        {"qemu_processes", qemus},
        {"elapsed_s", elapsed_s},
    });
    f.shutdown();
  }
  json cfg{{"modes", config.modes},           {"cycles", config.cycles},   {"concurrency", config.concurrency},
           {"instance_mib", config.instance_mib}, {"touch_mib", config.touch_mib}, {"hold_ms", config.hold_ms}};
  return result_document("soak", context, std::move(cfg), std::move(results));
}

namespace {

// Partitions still plugged, and instances the host or the guest still has.
int left(const json& r) {
  const json& guest = r["guest_instances_left"];
  return r["partitions_left"].get<int>() + r["host_instances_left"].get<int>() +
         (guest.is_number() ? guest.get<int>() : 0);
}

}  // namespace

std::string format_soak_table(const json& document) {
  std::string out = fmt::format("{:<11} {:>6} {:>8} {:>6} {:>4} {:>6} {:>8} {:>9} {:>9} {:>7} {:>5} {:>6} {:>6}\n",
                                "mode", "cycles", "answered", "failed", "lost", "colds", "migrated", "RSS base",
                                "RSS after", "change", "fds", "left", "qemus");
  for (const json& r : document["results"]) {
    out += fmt::format("{:<11} {:>6} {:>8} {:>6} {:>4} {:>6} {:>8} {:>9.0f} {:>9.0f} {:>6.1f}% {:>2}->{:<2} {:>6} {:>6}\n",
                       r["mode"].get<std::string>(), r["cycles"].get<int>(), r["answered"].get<int>(),
                       r["failed"].get<int>(), r["lost"].get<int>(), r["cold_starts"].get<double>(),
                       r["migrated_pages"].get<double>(), r["rss_baseline_mib"].get<double>(),
                       r["rss_after_mib"].get<double>(), r["rss_change_pct"].get<double>(),
                       r["fds_before"].get<std::size_t>(), r["fds_after"].get<std::size_t>(),
                       left(r),
                       r["qemu_processes"].get<std::size_t>());
    if (r["guest_instances_left"].is_string()) {
      out += "  guest instances: " + r["guest_instances_left"].get<std::string>() + "\n";
    }
    if (!r["stuck"].get<std::string>().empty()) out += "  stuck: " + r["stuck"].get<std::string>() + "\n";
    for (const json& e : r["errors"]) out += "  error: " + e.get<std::string>() + "\n";
  }
  return out;
}

}  // namespace hotmem::bench

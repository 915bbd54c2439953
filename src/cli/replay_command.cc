// hotmem replay: the Azure-derived trace against real function VMs, per mode.
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "bench/experiment.h"
#include "bench/suite.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/proc_stats.h"
#include "replay/replayer.h"
#include "serve/function_spec.h"

namespace hotmem::cli {
namespace {

struct ReplayArgs {
  GuestOptions guest;
  std::string trace = HOTMEM_DATA_DIR "/azure_spec_15rps_5min.csv";
  std::string catalog = HOTMEM_DATA_DIR "/functionbench_catalog.json";
  std::vector<std::string> modes{"hotmem", "virtio-mem", "static"};
  std::string runtime = "native";
  std::size_t functions = 3;
  std::size_t minutes = 5;
  double minute_s = 20;
  double rate = 1.0;
  int concurrency = 4;
  int keep_alive_s = 10;
  double duration_scale = 1.0;
  double tail_s = 15;
  double limited_fraction = 0;
  std::uint64_t seed = 42;
  std::string json_path = "results/replay.json";
  CLI::App* command = nullptr;
};

std::string table(const std::vector<replay::ModeOutcome>& outcomes, const std::string& title) {
  std::string out = fmt::format("{}\n{:<12} {:>9} {:>7} {:>6} {:>10} {:>10} {:>13} {:>10} {:>9}\n", title, "mode",
                                "answered", "failed", "cold", "P50 ms", "P99 ms", "footprint GiB*s", "peak MiB",
                                "migrated");
  for (const auto& o : outcomes) {
    out += fmt::format("{:<12} {:>9} {:>7} {:>6} {:>10.1f} {:>10.1f} {:>15.1f} {:>10.0f} {:>9.0f}\n", o.mode,
                       o.answered, o.failed, o.cold_starts, o.latency_percentile_ms(50), o.latency_percentile_ms(99),
                       o.footprint_gib_s, to_mib(o.peak_rss_bytes), o.migrated_pages);
  }
  return out;
}

Status run_replay(const ReplayArgs& args) {
  if (Status s = bench::validate_modes(args.modes); !s) return s;
  if (Status s = bench::write_json(args.json_path, nlohmann::json::object()); !s) return s;
  auto trace = replay::load_trace(args.trace);
  if (!trace) return trace.error();
  std::map<std::string, std::uint64_t> memory;
  if (std::ifstream in(args.catalog); in) {
    memory = replay::family_memory(nlohmann::json::parse(in, nullptr, false));
  } else {
    fmt::print(stderr, "hotmem: warning: no catalog at {}; every function gets 64 MiB per invocation\n", args.catalog);
  }
  replay::ReplayScale scale;
  scale.rate_rps = args.rate;
  scale.minute = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.minute_s));
  scale.minutes = args.minutes;
  scale.max_functions = args.functions;
  scale.concurrency = args.concurrency;
  scale.keep_alive = std::chrono::seconds(args.keep_alive_s);
  scale.duration_scale = args.duration_scale;
  scale.seed = args.seed;
  if (args.runtime == "python") {
    for (const replay::TraceFunction& f : trace->functions) {
      const std::string name = replay::shipped_function(f.bench);
      if (name.empty() || scale.python_functions.contains(name)) continue;
      const std::string path = HOTMEM_FUNCTIONS_DIR "/" + name + ".py";
      auto code = read_text_file(path, serve::kMaxCodeBytes);
      if (!code) return code.error().context("the shipped Python function " + name);
      scale.python_functions[name] = std::move(*code);
    }
  }
  auto plan = replay::plan_replay(*trace, memory, scale);
  if (!plan) return plan.error();

  auto vm = args.guest.resolve("replay");
  if (!vm) return vm.error();
  replay::ReplayOptions options;
  options.vm = *vm;
  options.tail = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.tail_s));
  auto progress = [](const std::string& line) { fmt::print(stderr, "[replay] {}\n", line); };

  std::vector<replay::ModeOutcome> free_runs, limited_runs;
  for (const std::string& mode : args.modes) {
    auto o = replay::replay_mode(*plan, mode, options, progress);
    if (!o) return o.error().context("replay in " + mode + " mode");
    free_runs.push_back(std::move(*o));
  }
  fmt::print("{}", table(free_runs, fmt::format("replay: {} invocations of {} functions over {:.0f} s",
                                                plan->arrivals.size(), plan->functions.size(),
                                                std::chrono::duration<double>(plan->length).count())));
  std::uint64_t limit = 0;
  if (args.limited_fraction > 0) {
    std::uint64_t peak = 0;
    for (const auto& o : free_runs) peak = std::max(peak, o.peak_rss_bytes);
    limit = static_cast<std::uint64_t>(double(peak) * args.limited_fraction);
    options.host_memory_max = limit;
    for (const std::string& mode : args.modes) {
      progress(fmt::format("{}: again, with the VMs' host memory capped at {} MiB", mode, limit / kMiB));
      auto o = replay::replay_mode(*plan, mode, options, progress);
      if (!o) return o.error().context("limited replay in " + mode + " mode");
      limited_runs.push_back(std::move(*o));
    }
    fmt::print("{}", table(limited_runs, fmt::format("with host memory capped at {} MiB ({:.0f}% of the largest peak)",
                                                     limit / kMiB, args.limited_fraction * 100)));
  }

  nlohmann::json results = nlohmann::json::array();
  for (const auto& o : free_runs) results.push_back(o.to_json());
  for (const auto& o : limited_runs) {
    results.push_back(o.to_json());
    results.back()["host_memory_cap_mib"] = limit / kMiB;
  }
  bench::ExperimentContext context;
  context.vm = *vm;
  nlohmann::json config{{"trace", args.trace}, {"runtime", args.runtime}, {"plan", plan->to_json()},
                        {"rate_rps", args.rate},
                        {"minute_s", args.minute_s}, {"minutes", args.minutes}, {"keep_alive_s", args.keep_alive_s},
                        {"tail_s", args.tail_s}, {"seed", args.seed}};
  config["limited_fraction"] = args.limited_fraction;
  auto document = bench::result_document("replay", context, config, results);
  if (Status s = bench::write_json(args.json_path, document); !s) return s;
  fmt::print("results in {}\n", args.json_path);
  return ok_status();
}

}  // namespace

void add_replay_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* cmd = app.add_subcommand(
      "replay", "Replay the Azure-derived trace against function VMs, per memory mode: latency, cold starts, footprint");
  args->command = cmd;
  args->guest.vcpus = 1;
  args->guest.add_to(*cmd);
  cmd->add_option("--trace", args->trace, "Trace CSV (FaaSRail format)")->capture_default_str();
  cmd->add_option("--catalog", args->catalog, "FunctionBench catalog (memory per benchmark)")->capture_default_str();
  cmd->add_option("--modes", args->modes, "Memory modes, replayed one after the other")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--runtime", args->runtime,
                  "python: families modelled by a shipped Python function run it with the trace's payload "
                  "(the others the native action); native: every family runs the native action")
      ->check(CLI::IsMember({"python", "native"}))
      ->capture_default_str();
  cmd->add_option("--functions", args->functions, "Busiest benchmark families deployed (one VM each)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  cmd->add_option("--minutes", args->minutes, "Trace minutes replayed")->check(CLI::Range(1, 60))->capture_default_str();
  cmd->add_option("--minute-s", args->minute_s, "Seconds one trace minute lasts here")
      ->check(CLI::Range(1.0, 600.0))
      ->capture_default_str();
  cmd->add_option("--rate", args->rate, "Mean invocations per second of the whole replay")
      ->check(CLI::Range(0.01, 100.0))
      ->capture_default_str();
  cmd->add_option("--concurrency", args->concurrency, "Instances per function VM (N)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--keep-alive-s", args->keep_alive_s, "Idle seconds before an instance stops and its memory goes")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  cmd->add_option("--duration-scale", args->duration_scale, "Factor on each function's mean duration")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--tail-s", args->tail_s, "Seconds measured after the last arrival")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--limited-fraction", args->limited_fraction,
                  "Replay again with the VMs' host memory capped at this share of the largest peak (0: skip)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the arrivals")->capture_default_str();
  cmd->add_option("--json", args->json_path, "Where the results go")->capture_default_str();
  cmd->callback([args, &exit_code] {
    Status s = run_replay(*args);
    if (!s) exit_code = report_error(s.error().message());
  });
}

}  // namespace hotmem::cli

// hotmem replay: the Azure-derived trace against real function VMs, per mode.
#include <cmath>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "bench/experiment.h"
#include "bench/suite.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/install_layout.h"
#include "common/proc_stats.h"
#include "replay/replayer.h"
#include "common/size.h"
#include "serve/function_spec.h"
#include "serve/memory_broker.h"

namespace hotmem::cli {
namespace {

struct ReplayArgs {
  GuestOptions guest;
  std::string trace = (workload_data_dir() / "azure_spec_15rps_5min.csv").string();
  std::string catalog = (workload_data_dir() / "functionbench_catalog.json").string();
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
  double budget_fraction = 0;
  double memory_scale = 1.0;
  double resident_share = 0.5;
  std::string harvest_slack = "512M";
  std::uint64_t seed = 42;
  std::string json_path = "results/replay.json";
  CLI::App* command = nullptr;
};

// A mode as --modes names it: a memory mode, and ":harvest" for the
// harvest reclaim policy (sync otherwise).
struct ModeSpec {
  std::string mode;
  serve::ReclaimPolicy policy = serve::ReclaimPolicy::kSync;
};

Result<std::vector<ModeSpec>> parse_modes(const std::vector<std::string>& names) {
  std::vector<ModeSpec> specs;
  std::vector<std::string> memory_modes;
  for (const std::string& name : names) {
    ModeSpec spec;
    const auto colon = name.find(':');
    spec.mode = name.substr(0, colon);
    if (colon != std::string::npos) {
      auto policy = serve::parse_reclaim_policy(name.substr(colon + 1));
      if (!policy) return policy.error().context("--modes " + name);
      spec.policy = *policy;
    }
    memory_modes.push_back(spec.mode);
    specs.push_back(spec);
  }
  if (Status s = bench::validate_modes(memory_modes); !s) return s.error();
  return specs;
}

double geomean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double log_sum = 0;
  for (double v : values) log_sum += std::log(std::max(v, 1e-9));
  return std::exp(log_sum / double(values.size()));
}

// The abundant run of the same memory mode (its P99s are the reference).
const replay::ModeOutcome* abundant_of(const std::vector<replay::ModeOutcome>& abundant, const std::string& mode) {
  for (const auto& o : abundant) {
    if (o.mode == mode) return &o;
  }
  return nullptr;
}

// Each function's P99 over the same mode's abundant P99, and their geomean.
std::pair<std::vector<double>, double> normalised_p99(const replay::ModeOutcome& o,
                                                      const std::vector<replay::ModeOutcome>& abundant) {
  std::vector<double> ratios;
  const replay::ModeOutcome* reference = abundant_of(abundant, o.mode);
  for (std::size_t i = 0; reference && i < o.functions.size() && i < reference->functions.size(); ++i) {
    const double base = reference->functions[i].latency_percentile_ms(99);
    const double p99 = o.functions[i].latency_percentile_ms(99);
    ratios.push_back(base > 0 && p99 > 0 ? p99 / base : 0);
  }
  std::vector<double> positive;
  for (double r : ratios) {
    if (r > 0) positive.push_back(r);
  }
  return {ratios, geomean(positive)};
}

std::string table(const std::vector<replay::ModeOutcome>& outcomes, const std::vector<replay::ModeOutcome>& abundant,
                  const std::string& title) {
  std::string out = fmt::format(
      "{}\n{:<20} {:>8} {:>6} {:>5} {:>7} {:>9} {:>9} {:>8} {:>6} {:>8} {:>15} {:>11} {:>13} {:>9} {:>9}\n", title,
      "mode", "answered", "failed", "cold", "evicted", "P50 ms", "P99 ms", "P99 norm", "waits", "wait s",
      "committed GiB*s", "RSS GiB*s", "peak commit MiB", "migrated", "MiB/s");
  for (const auto& o : outcomes) {
    const double norm = abundant.empty() ? 1.0 : normalised_p99(o, abundant).second;
    out += fmt::format("{:<20} {:>8} {:>6} {:>5} {:>7.0f} {:>9.1f} {:>9.1f} {:>8.2f} {:>6.0f} {:>8.1f} {:>15.1f} "
                       "{:>11.1f} {:>15.0f} {:>9.0f} {:>9.0f}\n",
                       o.label(), o.answered, o.failed, o.cold_starts, o.evictions, o.latency_percentile_ms(50),
                       o.latency_percentile_ms(99), norm, o.memory_waits, o.memory_wait_seconds, o.accounted_gib_s,
                       o.footprint_gib_s, to_mib(o.peak_committed_bytes), o.migrated_pages, o.reclaim_mib_per_s());
  }
  return out;
}

// What the budgeted runs say against each other: the targets of the
// limited-memory experiment.
std::string comparison(const std::vector<replay::ModeOutcome>& budgeted) {
  const replay::ModeOutcome* hotmem = nullptr;
  for (const auto& o : budgeted) {
    if (o.label() == "hotmem") hotmem = &o;
  }
  if (!hotmem) return "";
  std::string out;
  for (const auto& o : budgeted) {
    if (&o == hotmem || o.accounted_gib_s <= 0) continue;
    out += fmt::format("hotmem's committed footprint is {:.2f}x {}'s, its QEMU RSS footprint {:.2f}x\n",
                       hotmem->accounted_gib_s / o.accounted_gib_s, o.label(),
                       o.footprint_gib_s > 0 ? hotmem->footprint_gib_s / o.footprint_gib_s : 0);
  }
  return out;
}

Status run_replay(const ReplayArgs& args) {
  auto specs = parse_modes(args.modes);
  if (!specs) return specs.error();
  auto slack = parse_size(args.harvest_slack);
  if (!slack) return slack.error().context("--harvest-slack");
  if (Status s = bench::write_json(args.json_path, nlohmann::json::object()); !s) return s;
  auto trace = replay::load_trace(args.trace);
  if (!trace) return trace.error();
  std::map<std::string, std::uint64_t> memory;
  if (std::ifstream in(args.catalog); in) {
    memory = replay::family_memory(nlohmann::json::parse(in, nullptr, false));
  } else {
    fmt::print(stderr, "hotmem: warning: no catalog at {}; every function gets 64 MiB per invocation\n", args.catalog);
  }
  for (auto& [family, mib] : memory) {
    mib = std::max<std::uint64_t>(16, static_cast<std::uint64_t>(double(mib) * args.memory_scale));
  }
  replay::ReplayScale scale;
  scale.rate_rps = args.rate;
  scale.minute = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.minute_s));
  scale.minutes = args.minutes;
  scale.max_functions = args.functions;
  scale.concurrency = args.concurrency;
  scale.keep_alive = std::chrono::seconds(args.keep_alive_s);
  scale.duration_scale = args.duration_scale;
  scale.resident_share = args.resident_share;
  scale.seed = args.seed;
  if (args.runtime == "python") {
    for (const replay::TraceFunction& f : trace->functions) {
      const std::string name = replay::shipped_function(f.bench);
      if (name.empty() || scale.python_functions.contains(name)) continue;
      const std::string path = (python_functions_dir() / (name + ".py")).string();
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

  // The abundant runs: one per memory mode, the budget only measured.
  std::vector<replay::ModeOutcome> abundant, budgeted;
  for (const ModeSpec& spec : *specs) {
    if (abundant_of(abundant, spec.mode)) continue;
    auto o = replay::replay_mode(*plan, spec.mode, options, progress);
    if (!o) return o.error().context("replay in " + spec.mode + " mode");
    abundant.push_back(std::move(*o));
  }
  fmt::print("{}", table(abundant, {}, fmt::format("replay: {} invocations of {} functions over {:.0f} s, memory "
                                                   "abundant", plan->arrivals.size(), plan->functions.size(),
                                                   std::chrono::duration<double>(plan->length).count())));
  std::uint64_t budget = 0;
  std::vector<int> concurrency;
  if (args.budget_fraction > 0) {
    // The same budget for every mode: a share of the largest abundant peak
    // of committed memory; and each VM sized for the most instances its
    // function had at once in an abundant run.
    std::uint64_t peak = 0;
    for (const auto& o : abundant) peak = std::max(peak, o.peak_committed_bytes);
    budget = static_cast<std::uint64_t>(double(peak) * args.budget_fraction);
    concurrency.assign(plan->functions.size(), 1);
    for (const auto& o : abundant) {
      for (std::size_t i = 0; i < o.functions.size() && i < concurrency.size(); ++i) {
        concurrency[i] = std::max(concurrency[i], static_cast<int>(o.functions[i].peak_instances));
      }
    }
    replay::ReplayOptions limited = options;
    limited.budget_bytes = budget;
    limited.concurrency = concurrency;
    limited.slack_bytes = *slack;
    for (const ModeSpec& spec : *specs) {
      limited.policy = spec.policy;
      progress(fmt::format("{}: again, with a memory budget of {}", spec.mode, format_size(budget)));
      auto o = replay::replay_mode(*plan, spec.mode, limited, progress);
      if (!o) return o.error().context("budgeted replay in " + spec.mode + " mode");
      budgeted.push_back(std::move(*o));
    }
    fmt::print("{}", table(budgeted, abundant,
                           fmt::format("with a memory budget of {} ({:.0f}% of the largest abundant peak, {})",
                                       format_size(budget), args.budget_fraction * 100, format_size(peak))));
    fmt::print("{}", comparison(budgeted));
  }

  nlohmann::json results = nlohmann::json::array();
  for (const auto& o : abundant) results.push_back(o.to_json());
  for (const auto& o : budgeted) {
    nlohmann::json row = o.to_json();
    const auto [ratios, geo] = normalised_p99(o, abundant);
    for (std::size_t i = 0; i < ratios.size() && i < row["functions"].size(); ++i) {
      row["functions"][i]["p99_normalised"] = ratios[i];
    }
    row["p99_normalised_geomean"] = geo;
    if (const replay::ModeOutcome* a = abundant_of(abundant, o.mode)) {
      row["abundant_peak_committed_mib"] = to_mib(a->peak_committed_bytes);
    }
    results.push_back(std::move(row));
  }
  bench::ExperimentContext context;
  context.vm = *vm;
  nlohmann::json config{{"trace", args.trace}, {"runtime", args.runtime}, {"plan", plan->to_json()},
                        {"rate_rps", args.rate},
                        {"minute_s", args.minute_s}, {"minutes", args.minutes}, {"keep_alive_s", args.keep_alive_s},
                        {"tail_s", args.tail_s}, {"seed", args.seed}};
  config["budget_fraction"] = args.budget_fraction;
  config["budget_mib"] = to_mib(budget);
  config["memory_scale"] = args.memory_scale;
  config["resident_share"] = args.resident_share;
  config["concurrency_budgeted"] = concurrency;
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
  cmd->add_option("--modes", args->modes,
                  "Memory modes, replayed one after the other; MODE:harvest runs MODE with the harvest reclaim "
                  "policy in the budgeted runs")
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
  cmd->add_option("--tail-s", args->tail_s, "Seconds measured after the trace's end: every mode's footprint covers the trace's length plus this")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--budget-fraction", args->budget_fraction,
                  "Replay every mode again with a host memory budget of this share of the largest abundant peak "
                  "of committed memory (0: skip)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--memory-scale", args->memory_scale,
                  "Factor on the catalog's memory per function (to fit this machine)")
      ->check(CLI::Range(0.05, 4.0))
      ->capture_default_str();
  cmd->add_option("--resident-share", args->resident_share,
                  "Native action: share of a function's memory an instance keeps resident between invocations "
                  "(the rest each invocation touches afresh)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--harvest-slack", args->harvest_slack, "Free budget the harvest policy keeps ready")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the arrivals")->capture_default_str();
  cmd->add_option("--json", args->json_path, "Where the results go")->capture_default_str();
  cmd->callback([args, &exit_code] {
    Status s = run_replay(*args);
    if (!s) exit_code = report_error(s.error().message());
  });
}

}  // namespace hotmem::cli

#include "bench/one_to_one_bench.h"

#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"
#include "common/install_layout.h"
#include "common/proc_stats.h"
#include "host/action_runtime.h"
#include "host/guest_workloads.h"
#include "host/one_to_one.h"
#include "serve/function.h"

namespace hotmem::bench {

using nlohmann::json;

namespace {

// The runtime's function as the daemon would deploy it: N:1 with room for
// every measured instance and the unmeasured first one.
Result<serve::FunctionSpec> bench_function(const OneToOneBenchConfig& config, const std::string& runtime,
                                           int vcpus) {
  serve::FunctionSpec spec;
  spec.name = "bench-" + runtime;
  spec.runtime = runtime;
  spec.memory_mib = config.instance_mib;
  spec.concurrency = config.starts + 1;
  spec.vcpus = vcpus;
  spec.mode = config.mode;
  if (runtime == "python") {
    const std::string path = (python_functions_dir() / (config.python_function + ".py")).string();
    auto code = read_text_file(path, serve::kMaxCodeBytes);
    if (!code) return code.error().context("the shipped Python function " + config.python_function);
    spec.code = std::move(*code);
  } else {
    spec.command = host::action_argv();
  }
  return spec;
}

// Starts `instance` in `vm` (booted `boot` ago for 1:1, else zero) and
// runs it once; the sample's memory is left to the caller.
Result<ColdStartSample> start_and_run(host::Deployment& vm, const std::string& instance, const json& params,
                                      Clock::time_point asked, Clock::duration boot) {
  const auto asked_start = Clock::now();
  auto started = vm.start_action(instance);
  if (!started) return started.error().context("start " + instance);
  const auto sent = Clock::now();
  auto answer = vm.invoke(instance, "/run", host::run_body(params), std::chrono::seconds(120));
  const auto answered = Clock::now();
  if (!answer) return answer.error().context("the first /run of " + instance);
  if (auto result = host::action_result(*answer); !result) return result.error().context(instance);
  ColdStartSample s;
  const Clock::duration plug = boot > Clock::duration::zero() ? boot : started->plug_latency;
  s.vmm_ms = to_ms(plug);
  // What the start took beyond the plug and the /init: the sandbox, and
  // reading the runtime's files into node 0 the first time (every time for 1:1).
  s.sandbox_ms = to_ms((sent - asked_start) - started->plug_latency - started->init_latency);
  s.init_ms = to_ms(started->init_latency);
  s.exec_ms = to_ms(answered - sent);
  s.total_ms = to_ms(answered - asked);
  return s;
}

double qemu_rss_mib(host::Deployment& vm) {
  auto rss = vm.rss_bytes();
  return rss ? to_mib(*rss) : 0;
}

Result<ColdStartSample> one_to_one_start(const host::DeploymentSpec& spec, const json& params, int round,
                                         double& boot_memory_mib, std::vector<double>& idle_rss_mib) {
  host::DeploymentSpec one = host::one_to_one_spec(spec);
  one.vm.name = fmt::format("{}-1to1-{}", spec.vm.name, round);
  const auto asked = Clock::now();
  auto vm = host::Deployment::create(one);
  if (!vm) return vm.error().context("boot a 1:1 VM");
  const auto boot = Clock::now() - asked;
  boot_memory_mib = to_mib((*vm)->commitment().idle_bytes);
  idle_rss_mib.push_back(qemu_rss_mib(**vm));
  auto s = start_and_run(**vm, "i1", params, asked, boot);
  if (!s) return s.error();
  s->memory_mib = qemu_rss_mib(**vm);
  (*vm)->shutdown();
  return s;
}

Result<ColdStartSample> n_to_one_start(host::Deployment& vm, const json& params, int round) {
  const double before = qemu_rss_mib(vm);
  auto s = start_and_run(vm, fmt::format("i{}", round), params, Clock::now(), Clock::duration::zero());
  if (!s) return s.error();
  s->memory_mib = qemu_rss_mib(vm) - before;
  return s;
}

std::vector<double> samples_of(const std::vector<ColdStartSample>& samples, double ColdStartSample::*member) {
  std::vector<double> out;
  for (const ColdStartSample& s : samples) out.push_back(s.*member);
  return out;
}

struct SamplePart {
  const char* key;
  double ColdStartSample::*member;
};
constexpr SamplePart kSampleParts[] = {{"vmm_ms", &ColdStartSample::vmm_ms},
                                     {"sandbox_ms", &ColdStartSample::sandbox_ms},
                                     {"init_ms", &ColdStartSample::init_ms},
                                     {"exec_ms", &ColdStartSample::exec_ms},
                                     {"cold_start_ms", &ColdStartSample::total_ms},
                                     {"memory_per_instance_mib", &ColdStartSample::memory_mib}};

json model_row_of(const std::string& runtime, const std::string& model, const std::string& mode,
               const std::vector<ColdStartSample>& samples) {
  json row{{"runtime", runtime},
           {"model", model},
           {"mode", mode},
           {"vmm", model == serve::kOneToOne ? "boot" : "plug"},
           {"starts", samples.size()}};
  for (const SamplePart& c : kSampleParts) {
    const std::vector<double> values = samples_of(samples, c.member);
    put_spread(row, c.key, spread_of(values));
    row[std::string(c.key) + "_all"] = values;
  }
  return row;
}

}  // namespace

Status validate(const OneToOneBenchConfig& config) {
  if (config.runtimes.empty()) return Error("no runtimes to run");
  for (const std::string& r : config.runtimes) {
    if (r != "native" && r != "python") return Error(fmt::format("runtime '{}' is not native or python", r));
  }
  if (config.starts < 1 || config.starts > 63) return Error("--starts must be 1-63 (the N:1 VM holds them all)");
  if (config.instance_mib < serve::kMinMemoryMib || config.instance_mib > 4096) {
    return Error(fmt::format("--instance-mib must be {}-4096", serve::kMinMemoryMib));
  }
  if (config.mode == "static") return Error("the N:1 VM's mode must plug memory: not static");
  return validate_modes({config.mode});
}

std::vector<json> one_to_one_rows(const std::string& runtime, const std::string& mode,
                                  const std::vector<ColdStartSample>& one_to_one,
                                  const std::vector<ColdStartSample>& n_to_one) {
  json one = model_row_of(runtime, serve::kOneToOne, "static", one_to_one);
  json n = model_row_of(runtime, serve::kNToOne, mode, n_to_one);
  for (const SamplePart& c : kSampleParts) {
    const double base = one.at(c.key).get<double>();
    const std::string ratio = std::string(c.key).substr(0, std::string(c.key).rfind('_')) + "_ratio";
    n[ratio] = base > 0 ? json(n.at(c.key).get<double>() / base) : json(nullptr);
  }
  return {one, n};
}

Result<json> run_one_to_one_bench(const OneToOneBenchConfig& config, const ExperimentContext& context) {
  if (Status s = validate(config); !s) return s.error();
  Progress& progress = *context.progress;
  if (!context.preplanned) progress.plan(config.steps());
  json rows = json::array();
  json boot_memory = json::object();
  for (const std::string& runtime : config.runtimes) {
    auto function = bench_function(config, runtime, context.vm.vcpus);
    if (!function) return function.error();
    const host::DeploymentSpec spec = serve::deployment_spec(*function, context.vm);
    const json& params = runtime == "python" ? config.python_params : config.native_params;
    progress.set_stage("one-to-one", runtime + " N:1");
    progress.note("booting the N:1 VM");
    auto n_vm = host::Deployment::create(spec);
    if (!n_vm) return n_vm.error().context("boot the N:1 VM");
    host::Deployment& shared = **n_vm;
    const double n_idle_rss_mib = qemu_rss_mib(shared);
    // The VM serves the function already: its first instance is not measured.
    if (auto first = n_to_one_start(shared, params, 0); !first) return first.error().context("N:1");
    std::vector<ColdStartSample> one, n;
    double one_boot_mib = 0;
    std::vector<double> one_idle_rss_mib;
    for (int round = 1; round <= config.starts; ++round) {
      for (int turn = 0; turn < 2; ++turn) {
        const bool one_now = (turn == 0) == (round % 2 == 1);  // alternate who goes first
        progress.set_stage("one-to-one", runtime + (one_now ? " 1:1" : " N:1"));
        std::this_thread::sleep_for(config.settle);
        auto s = one_now ? one_to_one_start(spec, params, round, one_boot_mib, one_idle_rss_mib) : n_to_one_start(shared, params, round);
        if (!s) return s.error().context(fmt::format("{} {}", runtime, one_now ? "1:1" : "N:1"));
        (one_now ? one : n).push_back(*s);
        progress.step(fmt::format("round {} of {}: cold start {:.0f} ms, {:.0f} MiB", round, config.starts,
                                  s->total_ms, s->memory_mib));
      }
    }
    for (json& row : one_to_one_rows(runtime, config.mode, one, n)) {
      row["boot_memory_mib"] = row["model"] == serve::kOneToOne ? one_boot_mib
                                                                 : to_mib(shared.commitment().idle_bytes);
      row["vcpus"] = row["model"] == serve::kOneToOne ? 1 : context.vm.vcpus;
      row["idle_vm_rss_mib"] = row["model"] == serve::kOneToOne ? median(one_idle_rss_mib) : n_idle_rss_mib;
      rows.push_back(std::move(row));
    }
  }
  json cfg{{"runtimes", config.runtimes},       {"instance_mib", config.instance_mib},
           {"starts", config.starts},           {"mode", config.mode},
           {"python_function", config.python_function}, {"python_params", config.python_params},
           {"native_params", config.native_params},     {"interleaved", true}};
  return result_document("one-to-one", context, std::move(cfg), std::move(rows));
}

std::string format_one_to_one_table(const json& document) {
  std::string out = fmt::format("{:<8} {:<5} {:>6}  {:>9} {:>9} {:>9} {:>9} {:>11}  {:>11}\n", "runtime", "model",
                                "starts", "VMM ms", "sandbox", "init", "1st run", "cold start", "MiB/inst.");
  std::string ratios;
  for (const json& r : document.at("results")) {
    const std::string vmm = r.value("vmm", "") == "boot" ? "boot" : "plug";
    out += fmt::format("{:<8} {:<5} {:>6}  {:>4} {:>4.0f} {:>9.0f} {:>9.0f} {:>9.0f} {:>11.0f}  {:>11.1f}\n",
                       r.at("runtime").get<std::string>(), r.at("model").get<std::string>(),
                       r.at("starts").get<int>(), vmm, r.at("vmm_ms").get<double>(), r.at("sandbox_ms").get<double>(),
                       r.at("init_ms").get<double>(), r.at("exec_ms").get<double>(),
                       r.at("cold_start_ms").get<double>(), r.at("memory_per_instance_mib").get<double>());
    if (r.contains("cold_start_ratio") && r["cold_start_ratio"].is_number() && r.contains("memory_per_instance_ratio") &&
        r["memory_per_instance_ratio"].is_number()) {
      ratios += fmt::format("{}: N:1 / 1:1 cold start {:.2f}x, memory per instance {:.2f}x\n",
                            r.at("runtime").get<std::string>(), r["cold_start_ratio"].get<double>(),
                            r["memory_per_instance_ratio"].get<double>());
    }
  }
  return out + "(medians; VMM = boot for 1:1, plug for N:1)\n" + ratios;
}

}  // namespace hotmem::bench

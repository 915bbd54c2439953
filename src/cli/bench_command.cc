// hotmem bench reclaim | sizes | utilization | cpu | interference | colocation | plug | scale | floor | one-to-one |
// soak | chaos |
// all
#include <thread>

#include <fmt/format.h>

#include "bench/chaos_bench.h"
#include "bench/soak_bench.h"
#include "bench/suite.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "vmm/accel.h"

namespace hotmem::cli {
namespace {

const std::vector<std::string> kModes{"hotmem", "virtio-mem", "balloon", "balloon-fpr", "static"};

// Under TCG on a host with few cores, a second vCPU hurts more than it
// helps: a vCPU spinning while it waits for another to answer an IPI (page
// drains, LRU drains) competes with that vCPU for the host's cores, and the
// reclaim latency swings by 5x from run to run. One vCPU there; two elsewhere.
int default_bench_vcpus(vmm::Accel accel) {
  const bool tcg = vmm::resolve_accel(accel) == vmm::Accel::kTcg;
  return tcg && std::thread::hardware_concurrency() <= 4 ? 1 : 2;
}

// What every bench command takes: the guest, where the JSON goes.
struct CommonArgs {
  GuestOptions guest;
  std::string json_path;
  CLI::App* command = nullptr;

  void add_to(CLI::App& cmd, const std::string& json_help) {
    command = &cmd;
    guest.add_to(cmd);
    cmd.add_option("--json", json_path, json_help);
  }
};

Result<bench::ExperimentContext> context_for(const CommonArgs& args, bench::Progress& progress) {
  auto vm = args.guest.resolve("bench");
  if (!vm) return vm.error();
  if (args.command->count("--vcpus") == 0) vm->vcpus = default_bench_vcpus(vm->accel);
  // Every plug and reclaim ends at QEMU's size-change event, in every mode
  // with a virtio-mem device: the last one of a change in steps comes up to
  // 1 s late (one a second per device), so a benchmark waits that long.
  vm->size_event_wait = bench::kSizeEventWait;
  // Each vCPU thread on a host core of its own, where the host has one to
  // spare, in every mode: no other QEMU thread takes turns with the guest's
  // reclaim work, and each row says where the threads ran (docs/benchmarks.md).
  vm->dedicated_vcpu_cores = true;
  bench::ExperimentContext context;
  context.vm = *vm;
  context.progress = &progress;
  return context;
}

bench::Progress stderr_progress() {
  return bench::Progress([](const std::string& line) { fmt::print(stderr, "{}\n", line); });
}

// Runs one experiment: context, run, table, JSON; then `verdict`, if any,
// says whether the run passed (its JSON is written either way).
Status run_experiment(const CommonArgs& args, const std::function<Result<nlohmann::json>(const bench::ExperimentContext&)>& run,
                      const std::function<std::string(const nlohmann::json&)>& table,
                      const std::function<Status(const nlohmann::json&)>& verdict = {}) {
  // Fail on an unwritable --json before spending minutes on the run.
  if (!args.json_path.empty()) {
    if (Status s = bench::write_json(args.json_path, nlohmann::json::object()); !s) return s;
  }
  bench::Progress progress = stderr_progress();
  auto context = context_for(args, progress);
  if (!context) return context.error();
  auto document = run(*context);
  if (!document) return document.error();
  fmt::print("{}", table(*document));
  if (!args.json_path.empty()) {
    if (Status s = bench::write_json(args.json_path, *document); !s) return s;
    fmt::print("results in {}\n", args.json_path);
  }
  return verdict ? verdict(*document) : ok_status();
}

void add_modes_option(CLI::App& cmd, std::vector<std::string>& modes) {
  cmd.add_option("--modes", modes, "Memory modes to compare")
      ->delimiter(',')
      ->check(CLI::IsMember(kModes))
      ->capture_default_str();
}

void add_workload_options(CLI::App& cmd, int& instances, bench::WorkloadShape& workload) {
  cmd.add_option("--instances", instances, "Instances the VM has room for (one partition each)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd.add_option("--instance-mib", workload.instance_mib, "Memory limit of an instance (multiple of 128)")
      ->check(CLI::Range(128, 65536))
      ->capture_default_str();
  cmd.add_option("--file-mib", workload.file_mib, "MiB each instance writes to its tmpfs scratch")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
}

void add_zeroing_option(CLI::App& cmd, std::vector<int>& init_on_alloc) {
  cmd.add_option("--guest-init-on-alloc", init_on_alloc,
                 "Guest zeroing on allocation: 0 (HotMem's setting), 1 (Debian's default), or 0,1")
      ->delimiter(',')
      ->check(CLI::IsMember({0, 1}))
      ->capture_default_str();
}

void on_error(const Status& s, int& exit_code) {
  if (!s) exit_code = report_error(s.error().message());
}

struct ReclaimArgs {
  CommonArgs common;
  bench::ReclaimBenchConfig config;
  int settle_ms = 2000;
};

void add_reclaim_command(CLI::App& bench, const char* name, const char* help, const bench::ReclaimBenchConfig& preset,
                         int& exit_code) {
  auto args = std::make_shared<ReclaimArgs>();
  args->config = preset;
  CLI::App* cmd = bench.add_subcommand(name, help);
  args->common.add_to(*cmd, "Write the results here as JSON");
  add_modes_option(*cmd, args->config.modes);
  add_workload_options(*cmd, args->config.instances, args->config.workload);
  cmd->add_option("--reclaim-mib", args->config.reclaim_mibs, "Memory reclaimed at once (whole instances), e.g. 2048 or 256,1024")
      ->delimiter(',')
      ->check(CLI::Range(128, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--utilization", args->config.utilizations,
                  "Share of the VM's instance memory in use before a reclaim, e.g. 0.9 or 0.1,0.5,1")
      ->delimiter(',')
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  cmd->add_option("--repeat", args->config.repeat, "Reclaims per setting")->check(CLI::Range(1, 100))->capture_default_str();
  add_zeroing_option(*cmd, args->config.init_on_alloc);
  cmd->add_option("--settle-ms", args->settle_ms, "Idle time after filling the VM, before instances stop")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  cmd->callback([args, &exit_code] {
    args->config.settle = Millis(args->settle_ms);
    if (Status s = bench::validate(args->config); !s) return on_error(s, exit_code);
    on_error(run_experiment(
                 args->common, [args](const auto& context) { return bench::run_reclaim_bench(args->config, context); },
                 bench::format_reclaim_table),
             exit_code);
  });
}

}  // namespace

void add_bench_commands(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand(
      "bench",
      "Measure memory reclaim, mode against mode (guests get 1 vCPU under TCG on hosts with up to 4 cores unless "
      "--vcpus says otherwise)");
  bench->require_subcommand(1);
  const bench::SuitePlan full = bench::suite_plan(bench::SuiteSize::kFull);

  bench::ReclaimBenchConfig reclaim_preset;
  add_reclaim_command(*bench, "reclaim", "Reclaim latency, migrations, CPU and host memory per mode", reclaim_preset,
                      exit_code);
  add_reclaim_command(*bench, "sizes", "Reclaim latency against the size reclaimed (paper Fig. 5)", full.sizes,
                      exit_code);
  add_reclaim_command(*bench, "utilization", "Reclaim latency against how full the VM is (paper Fig. 6)",
                      full.utilization, exit_code);

  struct CpuArgs {
    CommonArgs common;
    bench::CpuBenchConfig config;
  };
  auto cpu = std::make_shared<CpuArgs>();
  cpu->config = full.cpu;
  CLI::App* cpu_cmd = bench->add_subcommand("cpu", "Guest and host CPU spent by repeated reclaims (paper Fig. 7)");
  cpu->common.add_to(*cpu_cmd, "Write the results here as JSON");
  add_modes_option(*cpu_cmd, cpu->config.modes);
  add_workload_options(*cpu_cmd, cpu->config.instances, cpu->config.workload);
  cpu_cmd->add_option("--reclaim-mib", cpu->config.reclaim_mib, "Memory per reclaim")->capture_default_str();
  cpu_cmd->add_option("--reclaims", cpu->config.reclaims, "Reclaims per mode")->check(CLI::Range(1, 100))->capture_default_str();
  add_zeroing_option(*cpu_cmd, cpu->config.init_on_alloc);
  cpu_cmd->callback([cpu, &exit_code] {
    on_error(run_experiment(
                 cpu->common, [cpu](const auto& context) { return bench::run_cpu_bench(cpu->config, context); },
                 bench::format_cpu_table),
             exit_code);
  });

  struct InterferenceArgs {
    CommonArgs common;
    bench::InterferenceConfig config;
  };
  auto inter = std::make_shared<InterferenceArgs>();
  inter->config = full.interference;
  CLI::App* inter_cmd = bench->add_subcommand(
      "interference", "A latency-sensitive instance's p50/p99 while others' memory is reclaimed (paper Fig. 9)");
  inter->common.add_to(*inter_cmd, "Write the results here as JSON");
  add_modes_option(*inter_cmd, inter->config.modes);
  add_workload_options(*inter_cmd, inter->config.instances, inter->config.workload);
  inter_cmd->add_option("--reclaim-mib", inter->config.reclaim_mib, "Memory per reclaim")->capture_default_str();
  inter_cmd->add_option("--windows", inter->config.windows, "Idle and reclaim windows each")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  inter_cmd->callback([inter, &exit_code] {
    on_error(run_experiment(
                 inter->common,
                 [inter](const auto& context) { return bench::run_interference_bench(inter->config, context); },
                 bench::format_interference_table),
             exit_code);
  });

  struct ColocationArgs {
    CommonArgs common;
    bench::ColocationConfig config;
  };
  auto colo = std::make_shared<ColocationArgs>();
  colo->config = full.colocation;
  CLI::App* colo_cmd = bench->add_subcommand(
      "colocation",
      "Two functions share a VM of 2 vCPUs: one's instances serve in a closed loop while the other's are all evicted "
      "at once; the servers' mean latency per second around the eviction (paper Fig. 9)");
  colo->common.add_to(*colo_cmd, "Write the results here as JSON");
  add_modes_option(*colo_cmd, colo->config.modes);
  colo_cmd->add_option("--serving", colo->config.serving, "Serving instances (closed loop)")->capture_default_str();
  colo_cmd->add_option("--evicted", colo->config.evicted, "Instances evicted at once")->capture_default_str();
  colo_cmd->add_option("--instance-mib", colo->config.workload.instance_mib, "Memory limit of every instance")
      ->capture_default_str();
  colo_cmd->add_option("--work-kib", colo->config.work_kib, "KiB a serving instance's request touches")
      ->capture_default_str();
  colo_cmd->add_option("--before-s", colo->config.before_s, "Seconds measured before the eviction")
      ->capture_default_str();
  colo_cmd->add_option("--after-s", colo->config.after_s, "Seconds measured after it")->capture_default_str();
  colo_cmd->add_option("--repeat", colo->config.repeat, "Evictions per mode")->check(CLI::Range(1, 100))
      ->capture_default_str();
  colo_cmd->callback([colo, colo_cmd, &exit_code] {
    // This bench needs its vCPUs (2 by default), unlike the others' default of 1 under TCG.
    if (colo_cmd->count("--vcpus") > 0) colo->config.vcpus = colo->common.guest.vcpus;
    if (Status s = bench::validate(colo->config); !s) return on_error(s, exit_code);
    on_error(run_experiment(
                 colo->common,
                 [colo](const auto& context) { return bench::run_colocation_bench(colo->config, context); },
                 bench::format_colocation_table),
             exit_code);
  });

  struct PlugArgs {
    CommonArgs common;
    bench::PlugBenchConfig config;
  };
  auto plug = std::make_shared<PlugArgs>();
  plug->config = full.plug;
  CLI::App* plug_cmd =
      bench->add_subcommand("plug", "Plug an instance's memory and cold-start it, against a static VM");
  plug->common.add_to(*plug_cmd, "Write the results here as JSON");
  add_modes_option(*plug_cmd, plug->config.modes);
  plug_cmd->add_option("--repeat", plug->config.repeat, "Starts per mode")->check(CLI::Range(1, 100))->capture_default_str();
  plug_cmd->callback([plug, &exit_code] {
    on_error(run_experiment(
                 plug->common, [plug](const auto& context) { return bench::run_plug_bench(plug->config, context); },
                 bench::format_plug_table),
             exit_code);
  });

  struct ScaleArgs {
    CommonArgs common;
    bench::ScaleBenchConfig config;
  };
  auto scale = std::make_shared<ScaleArgs>();
  scale->config = full.scale;
  CLI::App* scale_cmd = bench->add_subcommand(
      "scale", "One hotmem VM with many partitions, all running: reclaim k at once, then plug them again");
  scale->common.add_to(*scale_cmd, "Write the results here as JSON");
  scale_cmd->add_option("--partitions", scale->config.partitions, "Partitions (instances) of the VM")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  scale_cmd->add_option("--instance-mib", scale->config.workload.instance_mib, "Memory of an instance (its partition)")
      ->capture_default_str();
  scale_cmd->add_option("--reclaim", scale->config.reclaim_counts, "Partitions reclaimed at once, e.g. 1,8,32")
      ->delimiter(',')
      ->capture_default_str();
  scale_cmd->add_option("--repeat", scale->config.repeat, "Reclaims per count")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  scale_cmd->callback([scale, &exit_code] {
    if (Status s = bench::validate(scale->config); !s) return on_error(s, exit_code);
    on_error(run_experiment(
                 scale->common, [scale](const auto& context) { return bench::run_scale_bench(scale->config, context); },
                 bench::format_scale_table),
             exit_code);
  });

  struct FloorArgs {
    CommonArgs common;
    bench::FloorBenchConfig config;
    int settle_ms = 2000;
  };
  auto floor_args = std::make_shared<FloorArgs>();
  floor_args->config = *full.floor;
  CLI::App* floor_cmd = bench->add_subcommand(
      "floor",
      "hotmem's reclaim against the floor: unplugging plugged memory no instance used, through the same path, per "
      "size");
  floor_args->common.add_to(*floor_cmd, "Write the results here as JSON");
  add_workload_options(*floor_cmd, floor_args->config.instances, floor_args->config.workload);
  floor_cmd->add_option("--sizes", floor_args->config.sizes_mib, "MiB reclaimed at once (whole partitions), e.g. 512,2048")
      ->delimiter(',')
      ->check(CLI::Range(128, 1 << 20))
      ->capture_default_str();
  floor_cmd->add_option("--utilization", floor_args->config.utilization,
                        "Share of the VM's instances running before hotmem's reclaim")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  floor_cmd->add_option("--repeat", floor_args->config.repeat, "Reclaims of each variant per size")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  floor_cmd->add_option("--settle-ms", floor_args->settle_ms, "Idle time before each reclaim")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  floor_cmd->add_option("--guest-init-on-alloc", floor_args->config.init_on_alloc,
                        "Guest zeroing on allocation: 0 (HotMem's setting) or 1 (Debian's default)")
      ->check(CLI::IsMember({0, 1}))
      ->capture_default_str();
  floor_cmd->callback([floor_args, &exit_code] {
    floor_args->config.settle = Millis(floor_args->settle_ms);
    if (Status s = bench::validate(floor_args->config); !s) return on_error(s, exit_code);
    on_error(run_experiment(
                 floor_args->common,
                 [floor_args](const auto& context) { return bench::run_floor_bench(floor_args->config, context); },
                 bench::format_floor_table),
             exit_code);
  });

  struct OneToOneArgs {
    CommonArgs common;
    bench::OneToOneBenchConfig config;
    int settle_ms = 1000;
  };
  auto one = std::make_shared<OneToOneArgs>();
  one->config = full.one_to_one;
  CLI::App* one_cmd = bench->add_subcommand(
      "one-to-one",
      "N:1 against 1:1: cold starts (VMM, sandbox, /init, first run) and memory per instance of an instance started "
      "in a running VM against one booted for it");
  one->common.add_to(*one_cmd, "Write the results here as JSON");
  one_cmd->add_option("--runtimes", one->config.runtimes, "Functions to start: native, python")
      ->delimiter(',')
      ->check(CLI::IsMember({"native", "python"}))
      ->capture_default_str();
  one_cmd->add_option("--starts", one->config.starts, "Cold starts per model and runtime")
      ->check(CLI::Range(1, 63))
      ->capture_default_str();
  one_cmd->add_option("--instance-mib", one->config.instance_mib, "Memory limit of an instance (MiB)")
      ->check(CLI::Range(32, 4096))
      ->capture_default_str();
  one_cmd->add_option("--mode", one->config.mode, "Memory mode of the N:1 VM")
      ->check(CLI::IsMember({"hotmem", "virtio-mem", "balloon", "balloon-fpr"}))
      ->capture_default_str();
  one_cmd->add_option("--python-function", one->config.python_function,
                      "Shipped Python function (functions/python/<name>.py)")
      ->capture_default_str();
  one_cmd->add_option("--settle-ms", one->settle_ms, "Idle time before each cold start")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  one_cmd->callback([one, &exit_code] {
    one->config.settle = Millis(one->settle_ms);
    if (Status s = bench::validate(one->config); !s) return on_error(s, exit_code);
    on_error(run_experiment(
                 one->common, [one](const auto& context) { return bench::run_one_to_one_bench(one->config, context); },
                 bench::format_one_to_one_table),
             exit_code);
  });

  struct SoakArgs {
    CommonArgs common;
    bench::SoakConfig config;
  };
  auto soak = std::make_shared<SoakArgs>();
  CLI::App* soak_cmd = bench->add_subcommand(
      "soak", "Scale a function up and down again and again through the autoscaler; check that nothing leaks");
  soak->common.add_to(*soak_cmd, "Write the results here as JSON");
  add_modes_option(*soak_cmd, soak->config.modes);
  soak_cmd->add_option("--cycles", soak->config.cycles, "Scale-up/scale-down cycles per mode")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  soak_cmd->add_option("--concurrency", soak->config.concurrency, "Instances each scale-up starts")
      ->capture_default_str();
  soak_cmd->add_option("--instance-mib", soak->config.instance_mib, "Memory limit of an instance")
      ->check(CLI::Range(64, 16384))
      ->capture_default_str();
  soak_cmd->add_option("--touch-mib", soak->config.touch_mib, "Memory each invocation touches")->capture_default_str();
  soak_cmd->callback([soak, &exit_code] {
    if (Status s = bench::validate(soak->config); !s) return on_error(s, exit_code);
    on_error(run_experiment(
                 soak->common, [soak](const auto& context) { return bench::run_soak_bench(soak->config, context); },
                 bench::format_soak_table),
             exit_code);
  });

  struct ChaosArgs {
    CommonArgs common;
    bench::ChaosConfig config;
  };
  auto chaos = std::make_shared<ChaosArgs>();
  CLI::App* chaos_cmd = bench->add_subcommand(
      "chaos",
      "Invoke two functions in a loop while killing their QEMU, silencing their guest agent and filling a partition "
      "past its limit, at random (fixed seed); report failures by reason, recoveries and leaks (non-zero exit on a "
      "leak, a failure without a reason or a VM that did not serve again)");
  chaos->common.add_to(*chaos_cmd, "Write the results here as JSON");
  chaos_cmd->add_option("--minutes", chaos->config.minutes, "Minutes of faults (booting and shutting down come on top)")
      ->check(CLI::Range(0.05, 1440.0))
      ->capture_default_str();
  chaos_cmd->add_option("--seed", chaos->config.seed, "Seed of the faults drawn: the same seed, the same faults")
      ->capture_default_str();
  chaos_cmd->add_flag("--quick", chaos->config.quick, "2-5 s between faults instead of 10-30 s");
  chaos_cmd->callback([chaos, &exit_code] {
    if (Status s = bench::validate(chaos->config); !s) return on_error(s, exit_code);
    on_error(run_experiment(
                 chaos->common, [chaos](const auto& context) { return bench::run_chaos_bench(chaos->config, context); },
                 bench::format_chaos_table, bench::chaos_verdict),
             exit_code);
  });

  struct AllArgs {
    CommonArgs common;
    bool quick = false;
    bool smoke = false;
    std::string out = "results";
  };
  auto all = std::make_shared<AllArgs>();
  CLI::App* all_cmd = bench->add_subcommand("all", "Every experiment, one JSON file each; then run `hotmem report`");
  all->common.guest.add_to(*all_cmd);
  all->common.command = all_cmd;
  all_cmd->add_flag("--quick", all->quick, "Reduced sizes, 2 minutes of chaos: about 25 minutes on 2 cores under TCG");
  all_cmd->add_flag("--smoke", all->smoke, "The smallest settings that still measure: a few minutes (for tests)");
  all_cmd->add_option("--out", all->out, "Directory for the JSON files")->capture_default_str();
  all_cmd->callback([all, &exit_code] {
    bench::Progress progress = stderr_progress();
    auto context = context_for(all->common, progress);
    if (!context) return on_error(context.error(), exit_code);
    const auto size = all->smoke   ? bench::SuiteSize::kSmoke
                      : all->quick ? bench::SuiteSize::kQuick
                                   : bench::SuiteSize::kFull;
    on_error(bench::run_suite(bench::suite_plan(size), *context, all->out,
                              [](const std::string& table) { fmt::print("{}\n", table); }),
             exit_code);
    if (exit_code == 0) fmt::print("results in {}/; `hotmem report --results {}` draws them\n", all->out, all->out);
  });
}

}  // namespace hotmem::cli

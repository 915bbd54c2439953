// hotmem bench reclaim
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "bench/reclaim_bench.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/interrupt.h"
#include "vmm/accel.h"

namespace hotmem::cli {
namespace {

struct ReclaimArgs {
  GuestOptions guest;
  std::vector<std::string> modes{"hotmem", "virtio-mem"};
  int instances = 10;
  std::uint64_t instance_mib = 512;
  std::uint64_t reclaim_mib = 2048;
  std::vector<double> utilizations{0.9};
  int repeat = 3;
  std::vector<int> init_on_alloc{0};
  std::uint64_t file_mib = 16;
  int settle_ms = 2000;
  std::string json_path;
  bool vcpus_given = false;
};

// Under TCG on a host with few cores, a second vCPU hurts more than it
// helps: a vCPU spinning while it waits for another to answer an IPI (page
// drains, LRU drains) competes with that vCPU for the host's cores, and the
// reclaim latency swings by 5x from run to run. One vCPU there; two elsewhere.
int default_bench_vcpus(vmm::Accel accel) {
  const bool tcg = vmm::resolve_accel(accel) == vmm::Accel::kTcg;
  return tcg && std::thread::hardware_concurrency() <= 4 ? 1 : 2;
}

Status write_json(const std::string& path, const nlohmann::json& document) {
  std::ofstream out(path);
  out << document.dump(2) << "\n";
  if (!out) return Error(fmt::format("cannot write {}", path));
  return ok_status();
}

Status run_reclaim(const ReclaimArgs& args) {
  bench::ReclaimBenchConfig config;
  config.modes = args.modes;
  config.instances = args.instances;
  config.instance_mib = args.instance_mib;
  config.reclaim_mib = args.reclaim_mib;
  config.utilizations = args.utilizations;
  config.repeat = args.repeat;
  config.init_on_alloc = args.init_on_alloc;
  config.file_mib = args.file_mib;
  config.settle = Millis(args.settle_ms);
  auto vm = args.guest.resolve("bench");
  if (!vm) return vm.error();
  if (!args.vcpus_given) vm->vcpus = default_bench_vcpus(vm->accel);
  config.vm = *vm;
  if (Status s = bench::validate(config); !s) return s;
  // Fail on an unwritable --json before spending minutes on the run.
  if (!args.json_path.empty()) {
    if (Status s = write_json(args.json_path, nlohmann::json::object()); !s) return s;
  }
  const auto started = Clock::now();
  config.progress = [started](const std::string& line) {
    fmt::print(stderr, "{:>6.0f}s {}\n", to_ms(Clock::now() - started) / 1000, line);
  };
  auto document = bench::run_reclaim_bench(config);
  if (!document) return document.error();
  fmt::print("{}", bench::format_reclaim_table(*document));
  if (!args.json_path.empty()) {
    if (Status s = write_json(args.json_path, *document); !s) return s;
    fmt::print("results in {}\n", args.json_path);
  }
  return ok_status();
}

}  // namespace

void add_bench_commands(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand("bench", "Measure memory reclaim, mode against mode");
  bench->require_subcommand(1);

  auto args = std::make_shared<ReclaimArgs>();
  CLI::App* reclaim = bench->add_subcommand(
      "reclaim",
      "Reclaim latency, migrations, CPU and host memory per mode (guests get 1 vCPU under TCG on hosts with up to 4 "
      "cores unless --vcpus says otherwise)");
  args->guest.add_to(*reclaim);
  reclaim->add_option("--modes", args->modes, "Memory modes to compare")
      ->delimiter(',')
      ->check(CLI::IsMember({"hotmem", "virtio-mem"}))
      ->capture_default_str();
  reclaim->add_option("--instances", args->instances, "Instances the VM has room for (one partition each)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  reclaim->add_option("--instance-mib", args->instance_mib, "Memory limit of an instance (multiple of 128)")
      ->check(CLI::Range(128, 65536))
      ->capture_default_str();
  reclaim->add_option("--reclaim-mib", args->reclaim_mib, "Memory reclaimed at once (whole instances)")
      ->check(CLI::Range(128, 1 << 20))
      ->capture_default_str();
  reclaim->add_option("--utilization", args->utilizations,
                      "Share of the VM's instance memory in use before a reclaim, e.g. 0.9 or 0.1,0.5,1")
      ->delimiter(',')
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  reclaim->add_option("--repeat", args->repeat, "Reclaims per setting")->check(CLI::Range(1, 100))->capture_default_str();
  reclaim->add_option("--guest-init-on-alloc", args->init_on_alloc,
                      "Guest zeroing on allocation: 0 (HotMem's setting), 1 (Debian's default), or 0,1")
      ->delimiter(',')
      ->check(CLI::IsMember({0, 1}))
      ->capture_default_str();
  reclaim->add_option("--file-mib", args->file_mib, "MiB each instance writes to its tmpfs scratch")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  reclaim->add_option("--settle-ms", args->settle_ms, "Idle time after filling the VM, before instances stop")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  reclaim->add_option("--json", args->json_path, "Write the results here as JSON");
  reclaim->callback([args, reclaim, &exit_code] {
    args->vcpus_given = reclaim->count("--vcpus") > 0;
    Status s = run_reclaim(*args);
    if (!s) exit_code = report_error(s.error().message());
  });
}

}  // namespace hotmem::cli

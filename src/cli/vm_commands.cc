// hotmem vm start | status | resize | stop | list (and the hidden supervise)
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/vm_supervisor.h"
#include "common/interrupt.h"
#include "common/process.h"
#include "common/proc_stats.h"

namespace hotmem::cli {
namespace {

namespace fs = std::filesystem;

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "hotmem" : p.string();
}

int start_vm(const std::string& name, const VmOptions& options, const std::vector<std::string>& raw_args) {
  auto config = options.resolve(name);
  if (!config) return report_error(config.error().message());
  // Fail here, with the image hint, rather than inside the detached supervisor.
  if (auto img = image::load_image(config->image_dir); !img) return report_error(img.error().message());
  auto running = list_vms();
  if (!running) return report_error(running.error().message());
  if (std::find(running->begin(), running->end(), name) != running->end()) {
    return report_error(fmt::format("a VM named '{}' is already running", name));
  }
  auto state_dir = vm_state_dir(name);
  if (!state_dir) return report_error(state_dir.error().message());
  const fs::path dir = *state_dir;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return report_error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));

  SpawnOptions spawn;
  spawn.argv = {self_exe(), "vm", "supervise", name};
  spawn.argv.insert(spawn.argv.end(), raw_args.begin(), raw_args.end());
  spawn.output = dir / "supervisor.log";
  spawn.detach = true;
  auto supervisor = ChildProcess::spawn(spawn);
  if (!supervisor) return report_error(supervisor.error().message());
  fmt::print("booting VM {} ...\n", name);
  std::fflush(stdout);
  Deadline deadline(config->boot_timeout + std::chrono::seconds(30));
  while (!deadline.expired() && !interrupted()) {
    if (!supervisor->running()) {
      return report_error(fmt::format("VM {} failed to start:\n{}", name, tail_of_file(spawn.output, 3000)));
    }
    if (fs::exists(dir / "control.sock")) {
      if (auto status = control_call(name, "status", json::object(), std::chrono::seconds(5))) {
        supervisor->release();  // it lives on until `hotmem vm stop`
        fmt::print("VM {} is up: boot {:.0f} ms, accel {}, QEMU pid {}\n", name,
                   status->value("boot_ms", 0.0), status->value("accel", "?"), status->value("qemu_pid", 0));
        return 0;
      }
    }
    std::this_thread::sleep_for(Millis(200));
  }
  // Timed out or interrupted: the supervisor (and its QEMU) go with us.
  return report_error(fmt::format("VM {} did not come up; log:\n{}", name, tail_of_file(spawn.output, 3000)));
}

void print_status(const json& s) {
  fmt::print("VM {}: running, QEMU pid {} ({}), boot {:.0f} ms, up {:.0f} s\n", s.value("name", "?"),
             s.value("qemu_pid", 0), s.value("accel", "?"), s.value("boot_ms", 0.0), s.value("uptime_s", 0.0));
  fmt::print("  guest: kernel {}, {}\n", s.value("kernel", "?"), s.value("agent_version", "?"));
  if (s.contains("qemu_rss_bytes")) fmt::print("  QEMU RSS: {}\n", format_size(s["qemu_rss_bytes"].get<std::uint64_t>()));
  for (const auto& d : s.value("devices", json::array())) {
    fmt::print("  device {} (node {}): plugged {} of {} (requested {})\n", d.value("id", "?"), d.value("node", 0),
               format_size(d.value("plugged_bytes", 0ULL)), format_size(d.value("max_bytes", 0ULL)),
               format_size(d.value("requested_bytes", 0ULL)));
  }
  for (const auto& n : s.value("nodes", json::array())) {
    const auto total = n.value("total_bytes", 0ULL);
    const auto free = n.value("free_bytes", 0ULL);
    fmt::print("  node {}: {} total, {} used\n", n.value("node", 0), format_size(total),
               format_size(total >= free ? total - free : 0));
  }
  if (s.contains("pgmigrate_success")) fmt::print("  pgmigrate_success: {}\n", s["pgmigrate_success"].get<std::uint64_t>());
  if (s.contains("guest_error")) fmt::print("  guest report failed: {}\n", s["guest_error"].get<std::string>());
}

}  // namespace

void add_vm_commands(CLI::App& app, int& exit_code) {
  CLI::App* vm = app.add_subcommand("vm", "Boot, inspect, resize and stop a function VM");
  vm->require_subcommand(1);

  struct StartArgs {
    std::string name;
    VmOptions options;
  };
  auto start = std::make_shared<StartArgs>();
  CLI::App* start_cmd = vm->add_subcommand("start", "Boot a VM that keeps running until `hotmem vm stop`");
  start_cmd->add_option("name", start->name, "VM name")->required()->check(name_validator("VM name"));
  start->options.add_to(*start_cmd);
  start_cmd->callback([start, start_cmd, &exit_code] {
    std::vector<std::string> raw;
    for (const CLI::Option* opt : start_cmd->get_options()) {
      if (opt->get_positional() || opt->count() == 0 || opt->get_name() == "--help") continue;
      for (const std::string& v : opt->results()) {
        raw.push_back(opt->get_name());
        raw.push_back(v);
      }
    }
    exit_code = start_vm(start->name, start->options, raw);
  });

  auto supervise = std::make_shared<StartArgs>();
  CLI::App* supervise_cmd = vm->add_subcommand("supervise", "(internal) own a VM started by `vm start`");
  supervise_cmd->group("");
  supervise_cmd->add_option("name", supervise->name)->required()->check(name_validator("VM name"));
  supervise->options.add_to(*supervise_cmd);
  supervise_cmd->callback([supervise, &exit_code] {
    auto config = supervise->options.resolve(supervise->name);
    exit_code = config ? run_supervisor(*config) : report_error(config.error().message());
  });

  struct NameArgs {
    std::string name;
    bool json = false;
  };
  auto status = std::make_shared<NameArgs>();
  CLI::App* status_cmd = vm->add_subcommand("status", "Show a VM: devices, guest nodes, QEMU RSS");
  status_cmd->add_option("name", status->name, "VM name")->required()->check(name_validator("VM name"));
  status_cmd->add_flag("--json", status->json, "Print JSON");
  status_cmd->callback([status, &exit_code] {
    auto s = control_call(status->name, "status", json::object(), std::chrono::seconds(30));
    if (!s) {
      exit_code = report_error(s.error().message());
      return;
    }
    if (status->json) {
      fmt::print("{}\n", s->dump(2));
    } else {
      print_status(*s);
    }
  });

  struct ResizeArgs {
    std::string name, size, device = "vmem1";
    int timeout_s = 60;
  };
  auto resize = std::make_shared<ResizeArgs>();
  CLI::App* resize_cmd = vm->add_subcommand("resize", "Plug or unplug memory: set a device's size and wait");
  resize_cmd->add_option("name", resize->name, "VM name")->required()->check(name_validator("VM name"));
  resize_cmd->add_option("size", resize->size, "New device size, e.g. 1G or 0")->required()->check(size_validator());
  resize_cmd->add_option("--device", resize->device, "virtio-mem device id")->capture_default_str();
  resize_cmd->add_option("--timeout", resize->timeout_s, "Seconds to wait for the guest")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  resize_cmd->callback([resize, &exit_code] {
    const std::uint64_t bytes = parse_size(resize->size).value();
    auto r = control_call(resize->name, "resize",
                          json{{"device", resize->device}, {"bytes", bytes}, {"timeout_ms", resize->timeout_s * 1000}},
                          std::chrono::seconds(resize->timeout_s + 10));
    if (!r) {
      exit_code = report_error(r.error().message());
      return;
    }
    fmt::print("{} of VM {} now holds {} ({:.1f} ms)\n", resize->device, resize->name, format_size(bytes),
               r->value("latency_ms", 0.0));
  });

  auto stop = std::make_shared<NameArgs>();
  CLI::App* stop_cmd = vm->add_subcommand("stop", "Stop a VM and its QEMU");
  stop_cmd->add_option("name", stop->name, "VM name")->required()->check(name_validator("VM name"));
  stop_cmd->callback([stop, &exit_code] {
    auto r = control_call(stop->name, "stop", json::object(), std::chrono::seconds(30));
    if (!r) {
      exit_code = report_error(r.error().message());
      return;
    }
    // The supervisor removes its state directory as it exits.
    auto dir = vm_state_dir(stop->name);
    Deadline deadline(std::chrono::seconds(15));
    while (dir && fs::exists(*dir) && !deadline.expired()) std::this_thread::sleep_for(Millis(50));
    fmt::print("VM {} stopped\n", stop->name);
  });

  CLI::App* list_cmd = vm->add_subcommand("list", "List running VMs");
  list_cmd->callback([&exit_code] {
    auto names = list_vms();
    if (!names) {
      exit_code = report_error(names.error().message());
      return;
    }
    for (const std::string& name : *names) fmt::print("{}\n", name);
  });
}

}  // namespace hotmem::cli

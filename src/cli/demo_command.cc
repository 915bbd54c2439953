// hotmem demo: the main job in small. Boots a VM, plugs memory, has the guest
// touch and free it, unplugs it, and prints what each step cost.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "host/guest_workloads.h"

namespace hotmem::cli {
namespace {

struct DemoArgs {
  VmOptions vm;
  std::string plug = "1G";
};

Result<std::uint64_t> rss(host::FunctionVm& vm) { return vm.vmm().rss_bytes(); }

std::string signed_mib(std::uint64_t after, std::uint64_t before) {
  const double delta = to_mib(after) - to_mib(before);
  return fmt::format("{:+.0f} MiB", delta);
}

Status run_demo(const DemoArgs& args) {
  auto config = args.vm.resolve("demo");
  if (!config) return config.error();
  const std::uint64_t plug = parse_size(args.plug).value();
  const auto& device = config->memory_devices.front();
  if (plug > device.max_bytes) {
    return Error(fmt::format("--plug {} exceeds --hotplug-max {}", format_size(plug), format_size(device.max_bytes)));
  }
  fmt::print("HotMem demo: plug {} into a VM, touch it in the guest, free it, unplug it\n", format_size(plug));
  auto booted = host::FunctionVm::boot(*config);
  if (!booted) return booted.error();
  host::FunctionVm& vm = **booted;
  const int node = device.node;
  auto row = [](std::string_view step, std::string_view value) { fmt::print("  {:<34} {}\n", step, value); };

  row("accelerator", vm.vmm().accel());
  row("guest kernel", vm.agent_info().kernel);
  row("boot (QEMU start to agent answer)", fmt::format("{:.2f} s", to_ms(vm.boot_time()) / 1000));
  auto rss_boot = rss(vm);
  if (!rss_boot) return rss_boot.error();
  row("QEMU RSS after boot", format_size(*rss_boot));

  auto plugged = vm.resize(device.id, plug);
  if (!plugged) return plugged.error();
  auto seen = vm.agent().memory_report();  // resize waited for the guest to online it all
  if (!seen) return seen.error();
  row(fmt::format("plug {}", format_size(plug)),
      fmt::format("{:.1f} ms (guest node {}: {})", to_ms(*plugged), node, format_size(seen->node_total_bytes(node))));

  // Leave the guest a little headroom on the node: it keeps watermarks free.
  const std::uint64_t touch_mib = plug / kMiB - std::min<std::uint64_t>(plug / kMiB / 16, 64);
  auto pid = vm.agent().start_instance(host::touch_workload("demo-touch", touch_mib, node));
  if (!pid) return pid.error();
  auto rss_touched = rss(vm);
  if (!rss_touched) return rss_touched.error();
  row(fmt::format("guest touches {} MiB", touch_mib),
      fmt::format("QEMU RSS {} ({})", format_size(*rss_touched), signed_mib(*rss_touched, *rss_boot)));

  auto ended = vm.agent().stop_instance("demo-touch", std::chrono::seconds(2));
  if (!ended) return ended.error();
  auto before = vm.agent().memory_report();
  if (!before) return before.error();
  auto rss_freed = rss(vm);
  if (!rss_freed) return rss_freed.error();
  row("guest frees it", fmt::format("QEMU RSS {} (the host gets it back only on unplug)", format_size(*rss_freed)));

  auto unplugged = vm.resize(device.id, 0);
  if (!unplugged) return unplugged.error();
  auto after = vm.agent().memory_report();
  if (!after) return after.error();
  auto rss_end = rss(vm);
  if (!rss_end) return rss_end.error();
  auto migrated = protocol::migrated_pages_between(*before, *after);
  if (!migrated) return migrated.error();
  row(fmt::format("unplug {}", format_size(plug)), fmt::format("{:.1f} ms, {} pages migrated", to_ms(*unplugged), *migrated));
  row("QEMU RSS after unplug", fmt::format("{} ({})", format_size(*rss_end), signed_mib(*rss_end, *rss_freed)));
  return ok_status();
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* demo = app.add_subcommand("demo", "Boot a VM, plug memory, touch and free it, unplug it");
  args->vm.add_to(*demo);
  demo->add_option("--plug", args->plug, "How much to plug")->check(size_validator())->capture_default_str();
  demo->callback([args, &exit_code] {
    Status s = run_demo(*args);
    if (!s) exit_code = report_error(s.error().message());
  });
}

}  // namespace hotmem::cli

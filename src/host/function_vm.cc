#include "host/function_vm.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/proc_stats.h"
#include "common/size.h"
#include "host/guest_workloads.h"
#include "host/run_dir.h"
#include "protocol/messages.h"
#include "vmm/qemu/qemu_vm.h"

namespace hotmem::host {

void add_partition_device(FunctionVmConfig& config, std::uint64_t max_bytes) {
  const int node = config.numa_nodes;
  config.numa_nodes += 1;
  config.memory_devices.push_back({fmt::format("vmem{}", node), node, max_bytes});
}

Result<std::unique_ptr<FunctionVm>> FunctionVm::boot(const FunctionVmConfig& config, std::stop_token abandon) {
  if (Status s = protocol::validate_name("VM name", config.name); !s) return s.error();
  auto image = image::load_image(config.image_dir);
  if (!image) return image.error();

  std::unique_ptr<FunctionVm> vm(new FunctionVm());
  if (config.run_dir.empty()) {
    auto dir = create_run_dir(config.name);
    if (!dir) return dir.error().context("boot VM " + config.name);
    vm->run_dir_ = std::move(*dir);
  }
  image::KernelCmdline cmdline = image->cmdline;
  if (config.guest_init_on_alloc) cmdline.set("init_on_alloc", std::to_string(*config.guest_init_on_alloc));
  cmdline.merge(config.extra_cmdline);

  vmm::VmSpec& spec = vm->spec_;
  spec.name = config.name;
  spec.kernel = image->kernel;
  spec.initrd = image->initrd;
  spec.cmdline = cmdline.render();
  spec.vcpus = config.vcpus;
  spec.base_bytes = config.base_bytes;
  spec.numa_nodes = config.numa_nodes;
  spec.memory_devices = config.memory_devices;
  spec.balloon = config.balloon;
  spec.free_page_reporting = config.free_page_reporting;
  spec.host_cgroup = config.host_cgroup;
  spec.size_event_wait = config.size_event_wait;
  spec.dedicated_vcpu_cores = config.dedicated_vcpu_cores;
  spec.accel = config.accel;
  spec.rootfs_image = config.rootfs_image;
  spec.run_dir = config.run_dir.empty() ? vm->run_dir_.path() : config.run_dir;

  const auto start = Clock::now();
  auto qemu = vmm::qemu::QemuVm::launch(spec);
  if (!qemu) return qemu.error().context("boot VM " + config.name);
  vm->vmm_ = std::move(*qemu);
  Deadline deadline(config.boot_timeout);
  auto agent = AgentClient::connect(vm->vmm_->agent_socket(), deadline);
  if (!agent) return agent.error();
  vm->agent_ = std::move(*agent);
  auto info =
      vm->agent_->wait_ready(deadline, [&vm, &abandon] { return vm->vmm_->alive() && !abandon.stop_requested(); });
  if (!info && abandon.stop_requested()) {
    return Error(ErrorCode::kUnavailable, fmt::format("boot VM {}: boot abandoned", config.name));
  }
  if (!info) {
    const std::string console = tail_of_file(vm->console_log(), 1500);
    std::string why = info.error().message();
    if (!vm->vmm_->alive()) why += fmt::format(" ({})", vm->vmm_->exit_description());
    return Error(fmt::format("boot VM {}: {}{}{}", config.name, why,
                             console.empty() ? "" : "; the guest console ends:\n", console));
  }
  vm->info_ = *info;
  vm->boot_time_ = Clock::now() - start;
  spdlog::debug("VM {} booted in {:.0f} ms ({}, {})", config.name, to_ms(vm->boot_time_), vm->vmm_->accel(),
                info->kernel);
  return vm;
}

FunctionVm::~FunctionVm() {
  agent_.reset();
  if (vmm_) vmm_->shutdown(std::chrono::seconds(2));
  vmm_.reset();
}

Result<Clock::duration> FunctionVm::resize(const std::string& device, std::uint64_t bytes,
                                           Clock::duration timeout) {
  const auto start = Clock::now();
  auto reached = vmm::resize_memory_device(*vmm_, device, bytes, timeout);
  if (!reached) return reached.error();
  // QEMU has the size once the guest's driver plugged the last block; the
  // guest may still be onlining it. A grown device is done when its node
  // holds it all (an unplug is done before QEMU reports it: the guest
  // removes the memory first).
  auto spec = std::find_if(spec_.memory_devices.begin(), spec_.memory_devices.end(),
                           [&](const vmm::MemoryDeviceSpec& d) { return d.id == device; });
  if (spec == spec_.memory_devices.end()) return *reached;
  const int node = spec->node;
  const auto left = std::max<Clock::duration>(timeout - (Clock::now() - start), std::chrono::seconds(1));
  auto online = wait_for_guest_memory(
      *agent_, [&](const protocol::GuestMemoryReport& r) { return r.node_total_bytes(node) >= bytes; }, left,
      fmt::format("{} online on node {}", format_size(bytes), node));
  if (!online) return online.error().context("resize " + device);
  return *reached;
}

}  // namespace hotmem::host

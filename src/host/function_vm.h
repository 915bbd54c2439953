// A function VM: the VMM process, its guest and the agent channel, booted
// together and torn down together (RAII: no QEMU outlives this object).
#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "host/agent_client.h"
#include "image/guest_image.h"
#include "vmm/vm_spec.h"
#include "vmm/vmm.h"

namespace hotmem::host {

struct FunctionVmConfig {
  std::string name = "vm";
  std::filesystem::path image_dir = image::default_image_dir();
  std::uint64_t base_bytes = 512 * kMiB;
  int vcpus = 2;
  int numa_nodes = 1;
  std::vector<vmm::MemoryDeviceSpec> memory_devices;
  bool balloon = false;
  bool free_page_reporting = false;
  vmm::Accel accel = vmm::Accel::kAuto;
  // A read-only root filesystem disk (image::default_rootfs_image(), made by
  // scripts/build-rootfs) that the agent mounts at /rootfs; none when unset.
  std::optional<std::filesystem::path> rootfs_image;
  // Guest kernel settings on top of the image's command line.
  std::optional<int> guest_init_on_alloc;
  std::string extra_cmdline;
  Clock::duration boot_timeout = std::chrono::seconds(120);
  // Where the VM's sockets and logs go; a fresh run directory under the
  // runtime root when empty (host/run_dir.h).
  std::filesystem::path run_dir;
  // Host cgroup directory to run QEMU in (empty: the caller's).
  std::filesystem::path host_cgroup;
  // How long to wait for the VMM's event that dates a memory device's size
  // change exactly (vmm::VmSpec::size_event_wait); 0 in the daemon.
  Clock::duration size_event_wait{};
  // vCPU threads on host cores of their own (vmm::VmSpec::dedicated_vcpu_cores); benchmarks only.
  bool dedicated_vcpu_cores = false;
};

// The usual single-partition layout: one virtio-mem device "vmem1" of `max`
// on guest node 1 (node 0 keeps the boot memory).
void add_partition_device(FunctionVmConfig& config, std::uint64_t max_bytes);

class FunctionVm {
 public:
  // A stop requested on `abandon` ends a boot under way within a second:
  // QEMU ends and the boot fails (kUnavailable, "boot abandoned").
  static Result<std::unique_ptr<FunctionVm>> boot(const FunctionVmConfig& config, std::stop_token abandon = {});
  ~FunctionVm();

  vmm::Vmm& vmm() { return *vmm_; }
  AgentClient& agent() { return *agent_; }
  const AgentInfo& agent_info() const { return info_; }
  const vmm::VmSpec& spec() const { return spec_; }
  // From starting the VMM to the agent's first answer.
  Clock::duration boot_time() const { return boot_time_; }
  std::filesystem::path console_log() const { return spec_.run_dir / "console.log"; }

  // Grows or shrinks a memory device and waits until the guest is done.
  Result<Clock::duration> resize(const std::string& device, std::uint64_t bytes,
                                 Clock::duration timeout = std::chrono::seconds(60));

 private:
  FunctionVm() = default;

  TempDir run_dir_{std::filesystem::path()};
  vmm::VmSpec spec_;
  std::unique_ptr<vmm::Vmm> vmm_;
  std::unique_ptr<AgentClient> agent_;
  AgentInfo info_;
  Clock::duration boot_time_{};
};

}  // namespace hotmem::host

// The QEMU implementation of the VMM adapter: one qemu-system-x86_64 process
// per VM, owned by this object (it never outlives it), driven over QMP.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "common/process.h"
#include "vmm/qemu/qmp_client.h"
#include "vmm/qemu/size_changes.h"
#include "vmm/vm_spec.h"
#include "vmm/vmm.h"

namespace hotmem::vmm::qemu {

// The program every QemuVm runs: qemu-system-x86_64 from PATH with symlinks
// resolved, i.e. what /proc/PID/exe shows for its processes.
Result<std::filesystem::path> qemu_binary();

class QemuVm final : public Vmm {
 public:
  // Starts QEMU and connects to QMP; the guest starts running on return.
  static Result<std::unique_ptr<QemuVm>> launch(const VmSpec& spec);
  ~QemuVm() override;

  pid_t pid() const override { return process_.pid(); }
  std::string accel() const override { return to_string(accel_); }
  bool alive() override;
  std::string exit_description() override;
  std::filesystem::path agent_socket() const override;

  Result<MemoryDeviceState> memory_device(const std::string& id) override;
  Status request_memory_device_size(const std::string& id, std::uint64_t bytes) override;
  Result<SizeReached> wait_memory_device(const std::string& id, const std::function<bool(std::uint64_t)>& done,
                                         Clock::duration timeout, std::uint64_t goal) override;
  Status request_balloon_target(std::uint64_t bytes) override;
  Result<std::uint64_t> balloon_actual() override;
  Result<CpuPlacement> cpu_placement() override;
  Result<std::uint64_t> vcpu_preemptions() override;
  Result<std::uint64_t> rss_bytes() override;
  void shutdown(Clock::duration grace) override;

  QmpClient& qmp() { return *qmp_; }

 private:
  QemuVm(VmSpec spec, Accel accel, ChildProcess process)
      : spec_(std::move(spec)), accel_(accel), process_(std::move(process)) {}
  Result<const MemoryDeviceSpec*> find_device(const std::string& id) const;
  // The host thread ids of the vCPUs, in vCPU order (QMP query-cpus-fast).
  Result<std::vector<pid_t>> query_vcpu_threads();
  // VmSpec::dedicated_vcpu_cores: each vCPU thread on a core of its own,
  // every other thread on the cores left.
  Status place_threads();
  Result<std::uint64_t> read_u64_property(const std::string& id, const char* property);
  // Wraps an error with how QEMU ended, when it has.
  Error with_exit_reason(const Error& e);
  // When QEMU's size-change events say device `id` first satisfied `done`
  // since its size was last requested, waiting until `deadline` for them.
  std::optional<Clock::time_point> size_changed_at(const std::string& id,
                                                   const std::function<bool(std::uint64_t)>& done,
                                                   const Deadline& deadline);

  VmSpec spec_;
  Accel accel_;
  // A daemon asks from several threads whether QEMU lives, and may end it
  // from one while others look: every use of the process holds this.
  std::recursive_mutex process_mutex_;
  ChildProcess process_;
  std::unique_ptr<QmpClient> qmp_;
  // The vCPU threads, asked once at launch (a VM's vCPUs do not change);
  // empty when QEMU did not tell.
  std::vector<pid_t> vcpu_threads_;

  std::mutex size_changes_mutex_;
  SizeChanges size_changes_;
};

}  // namespace hotmem::vmm::qemu

// The VMM adapter interface: everything HotMem asks of a hypervisor. QEMU is
// the first implementation (vmm/qemu); Cloud Hypervisor (vm.resize-zone) or
// Firecracker (PATCH /hotplug/memory) can follow behind the same interface.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace hotmem::vmm {

struct MemoryDeviceState {
  std::string id;
  int node = 0;
  std::uint64_t max_bytes = 0;
  std::uint64_t requested_bytes = 0;
  std::uint64_t plugged_bytes = 0;  // what the guest has plugged so far
};

// When a wait saw a memory device's size reach its goal.
struct SizeReached {
  Clock::time_point at;
  bool by_event = false;  // dated by the VMM's own event (exact), not by the poll that saw it
};

// Which host cores the VMM's threads may run on: the union over its vCPU
// threads, and over all its other threads.
struct CpuPlacement {
  std::vector<int> vcpu_cores;
  std::vector<int> other_cores;
  // Whether no vCPU thread may run on a core any other thread may use.
  bool vcpus_apart() const;
};

class Vmm {
 public:
  virtual ~Vmm() = default;

  virtual pid_t pid() const = 0;
  // "kvm" or "tcg".
  virtual std::string accel() const = 0;
  // False once the VMM process has exited (it is then reaped).
  virtual bool alive() = 0;
  // How the VMM process ended, or "running".
  virtual std::string exit_description() = 0;

  // The host end of the guest agent's control channel (a unix socket).
  virtual std::filesystem::path agent_socket() const = 0;

  virtual Result<MemoryDeviceState> memory_device(const std::string& id) = 0;
  // Asks the guest to plug or unplug until the device holds `bytes`.
  virtual Status request_memory_device_size(const std::string& id, std::uint64_t bytes) = 0;
  // Waits until the device's plugged size satisfies `done`; returns when it
  // did (the VMM's own time of the change where it tells one, else when a
  // poll saw it). `goal` describes the target for the timeout error.
  virtual Result<SizeReached> wait_memory_device(const std::string& id,
                                                 const std::function<bool(std::uint64_t)>& done,
                                                 Clock::duration timeout, std::uint64_t goal) = 0;
  // Waits until the device holds exactly `bytes`.
  Result<SizeReached> wait_memory_device_size(const std::string& id, std::uint64_t bytes,
                                              Clock::duration timeout) {
    return wait_memory_device(id, [bytes](std::uint64_t size) { return size == bytes; }, timeout, bytes);
  }

  // The virtio-balloon, when the VM has one: ask the guest to hold `bytes`
  // of memory (inflate or deflate), and read how much it holds now.
  virtual Status request_balloon_target(std::uint64_t bytes);
  virtual Result<std::uint64_t> balloon_actual();

  // Where the VMM's threads may run now (VmSpec::dedicated_vcpu_cores).
  virtual Result<CpuPlacement> cpu_placement();
  // How often the vCPU threads were taken off their host cores while they
  // could run, since they started (a reclaim's figure is the difference).
  virtual Result<std::uint64_t> vcpu_preemptions();

  // Resident memory of the VMM process: what the host really spends.
  virtual Result<std::uint64_t> rss_bytes() = 0;

  // Stops the guest and the VMM; kills it if it does not end within `grace`.
  virtual void shutdown(Clock::duration grace) = 0;
};

// request + wait: the reclaim (or plug) latency as the design defines it,
// from setting the requested size to the VMM reporting it reached.
Result<Clock::duration> resize_memory_device(Vmm& vmm, const std::string& id, std::uint64_t bytes,
                                             Clock::duration timeout);

}  // namespace hotmem::vmm

// One deployed function in the 1:1 model: every instance has a VM of its
// own (host::one_to_one_spec: 1 vCPU, the instance's memory from boot),
// booted on the instance's cold start and shut down when the instance ends.
//
// Autoscaling as in the N:1 model: an invocation takes an idle instance;
// when none is idle and fewer than `concurrency` run, it boots a VM for a
// new one (a cold start: boot, sandbox, /init); otherwise it waits until
// one is idle (unlike N:1's queue, waiters are not served in arrival order). An instance idle for keep_alive ends with its VM, and so
// does one whose VM failed (QEMU ended): its invocation fails with the
// reason, and the next cold start boots a fresh VM, so the function never
// recovers as a whole and stays ready.
//
// Memory comes from the host's budget (MemoryBroker) as for any function:
// the account commits nothing while no instance runs, and a whole VM's
// memory per instance, admitted before its VM boots (a cold start may wait
// there or evict idle instances of any function) and released once its
// QEMU has ended. The broker may evict its idle instances (MemoryTenant).
//
// Thread-safe: invocations run on the API server's threads, the reaper on
// its own. shutdown() ends every VM; objects stay valid until the last
// shared owner lets go.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "serve/function.h"

namespace hotmem::serve {

class OneToOneFunction final : public Function {
 public:
  // Opens the function's account in the budget (kResourceExhausted when one
  // VM could never fit); boots nothing yet.
  static Result<std::shared_ptr<OneToOneFunction>> deploy(const FunctionSpec& spec, const host::FunctionVmConfig& vm,
                                                          Metrics& metrics, MemoryBroker& broker);
  ~OneToOneFunction() override;
  OneToOneFunction(const OneToOneFunction&) = delete;
  OneToOneFunction& operator=(const OneToOneFunction&) = delete;

  // Errors have a kind and a reason: kUnavailable "no instance free",
  // "memory budget exhausted", "function unavailable" (its VM did not boot
  // or the instance did not start, or the function is being deleted),
  // "function VM failed" (the instance's VM ended under the invocation);
  // kGuestMisbehaved as ServedFunction::invoke.
  Result<InvocationResult> invoke(const json& params, Clock::duration timeout, ActivationTrace& trace) override;
  using Function::invoke;
  // {"function", "state", "instance_vm": {what each VM boots with}, "instances":
  // [{"name", "state", "invocations", "idle_s"?, "vm": Deployment's "vm"?}],
  // "queued"}.
  json describe() override;
  const FunctionSpec& spec() const override { return spec_; }
  std::uint64_t rss_bytes() override;
  VmState state() override { return VmState::kReady; }
  std::size_t peak_instances() override;
  void shutdown() override;

  // MemoryTenant
  std::vector<IdleInstance> idle_instances() override;
  std::size_t evict(const std::vector<std::string>& instances) override;

 private:
  enum class SlotState { kAwaitingMemory, kBooting, kIdle, kBusy, kStopping };
  struct Slot {
    std::string instance;
    SlotState state = SlotState::kAwaitingMemory;
    bool admitted = false;  // its VM's memory is admitted in the budget
    Clock::time_point idle_since;
    std::uint64_t invocations = 0;
    std::shared_ptr<host::Deployment> vm;  // once booted
  };

  static const char* state_name(SlotState state);

  OneToOneFunction(FunctionSpec spec, Metrics& metrics, MemoryBroker& broker)
      : spec_(std::move(spec)), metrics_(metrics), broker_(broker) {}

  // Takes an idle slot, or makes a new one (cold) with its VM's memory
  // admitted; waits until `deadline`.
  Result<Slot*> take_slot(Clock::time_point deadline, Clock::duration timeout, bool& cold);
  // Boots the slot's VM and starts its instance; the slot is busy after.
  Status cold_start(Slot& slot, InvocationResult& out);
  // Ends the slots' VMs (their state is kStopping, or a failed start's) and
  // gives their memory back.
  void end(const std::vector<Slot*>& slots, const char* why);
  void reap_loop();

  FunctionSpec spec_;
  Metrics& metrics_;
  MemoryBroker& broker_;
  host::DeploymentSpec vm_spec_;  // every instance's VM (host::one_to_one_spec)
  std::uint64_t vm_bytes_ = 0;    // what each commits
  AccountId account_ = 0;
  RecentLatencies latencies_;  // its own lock

  std::mutex mutex_;
  std::condition_variable changed_;
  std::list<Slot> slots_;  // stable addresses
  std::size_t waiting_ = 0;
  std::uint64_t next_instance_ = 0;
  std::size_t peak_instances_ = 0;
  bool closing_ = false;
  std::stop_source abandon_;  // ends boots under way at shutdown
  std::thread reaper_;
};

}  // namespace hotmem::serve

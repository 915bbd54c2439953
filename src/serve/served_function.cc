#include "serve/served_function.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hotmem::serve {
namespace {

// A reclaim that takes longer is left to finish in the guest: the memory
// stays committed in the budget until the VMM shows it back
// (settle_stuck_memory), and the reaper or the evicting scale up goes on.
constexpr host::RetireOptions kRetire{.grace = std::chrono::seconds(5), .reclaim_timeout = std::chrono::seconds(30)};
// An eviction holds up a scale up that waits for its memory.
constexpr host::RetireOptions kEvict{.grace = std::chrono::seconds(5), .reclaim_timeout = std::chrono::seconds(10)};
constexpr auto kReapPeriod = std::chrono::milliseconds(250);
// The reaper has the agent pinged this often (Deployment::health).
constexpr auto kProbePeriod = std::chrono::seconds(10);
// ... and looks this often whether partitions kept dirty have emptied.
constexpr auto kDirtyCheckPeriod = std::chrono::seconds(5);

}  // namespace

Result<std::shared_ptr<ServedFunction>> ServedFunction::deploy(const FunctionSpec& spec,
                                                               const host::FunctionVmConfig& vm, Metrics& metrics,
                                                               MemoryBroker& broker, RecoveryConfig recovery,
                                                               host::DirtyPolicy dirty) {
  std::shared_ptr<ServedFunction> f(new ServedFunction(spec, metrics, broker, recovery));
  f->dirty_ = dirty;
  const host::DeploymentSpec d = deployment_spec(spec, vm);
  f->boot_spec_ = d;
  auto commitment = host::Deployment::commitment(d);
  if (!commitment) return commitment.error();
  auto account = broker.open(spec.name, *commitment);
  if (!account) return account.error();
  f->account_ = *account;
  auto deployment = host::Deployment::create(d);
  if (!deployment) {
    broker.close(f->account_);
    return deployment.error().context(fmt::format("boot the VM of '{}'", spec.name));
  }
  f->vm_ = std::make_shared<Vm>(std::move(*deployment), f->account_);
  broker.attach(f->account_, f);
  metrics.set_gauge(kQemuRss, spec.name, double(f->rss_bytes()));
  f->reaper_ = std::thread([raw = f.get()] { raw->reap_loop(); });
  return f;
}

ServedFunction::~ServedFunction() { shutdown(); }

void ServedFunction::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
  }
  abandon_.request_stop();
  changed_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  std::shared_ptr<Vm> vm;
  AccountId account = 0;
  {
    std::lock_guard lock(mutex_);
    vm = vm_;
    account = account_;
  }
  // QEMU ends now; calls in flight on other threads fail with the channel.
  if (vm) vm->deployment->shutdown();
  broker_.close(account);  // QEMU has ended: its memory is back
}

Result<ServedFunction::Slot*> ServedFunction::take_slot(Clock::time_point deadline, Clock::duration timeout,
                                                       bool& cold) {
  bool again = false;  // a retry keeps its place at the front
  for (;;) {
    Slot* slot = nullptr;
    std::shared_ptr<Vm> vm;
    cold = false;
    {
      std::unique_lock lock(mutex_);
      const std::uint64_t ticket = next_ticket_++;
      if (again) {
        queue_.push_front(ticket);
      } else {
        queue_.push_back(ticket);
      }
      for (;;) {
        if (closing_ || recovery_.state() == VmState::kCrashLooping) {
          std::erase(queue_, ticket);
          changed_.notify_all();
          if (!closing_) return vm_failed_locked(recovery_.last_reason());
          return Error(ErrorCode::kUnavailable, "the function is being deleted").with_reason("function unavailable");
        }
        // While the VM recovers, everyone waits in line for the next boot.
        if (recovery_.state() == VmState::kReady && queue_.front() == ticket) {
          auto idle =
              std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == SlotState::kIdle; });
          if (idle != slots_.end()) {
            slot = &*idle;
            slot->state = SlotState::kBusy;
          } else if (slots_.size() < static_cast<std::size_t>(spec_.concurrency)) {
            slot = &slots_.emplace_back(
                Slot{fmt::format("i{}", ++next_instance_), 0, SlotState::kAwaitingMemory, {}, 0, vm_});
            peak_instances_ = std::max(peak_instances_, slots_.size());
            cold = true;
          }
          if (slot) {
            queue_.pop_front();
            break;
          }
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
          std::erase(queue_, ticket);
          changed_.notify_all();
          if (recovery_.state() == VmState::kRecovering) {
            return Error(ErrorCode::kUnavailable,
                         fmt::format("the VM of '{}' failed ({}) and was not back within {:.0f} s (boot attempts: "
                                     "{}); try again",
                                     spec_.name, recovery_.last_reason(), to_seconds(timeout), recovery_.attempts()))
                .with_reason("function VM recovering");
          }
          return Error(ErrorCode::kUnavailable,
                       fmt::format("no instance became free within {:.0f} s ({} running, {} queued)",
                                   to_seconds(timeout), slots_.size(), queue_.size()))
              .with_reason("no instance free");
        }
      }
      vm = slot->vm;
    }
    changed_.notify_all();  // the next in line may now be first
    if (!cold) return slot;
    // A new instance: its memory first. While it waits, an instance of this
    // function that goes idle serves it instead.
    auto admitted = broker_.acquire(vm->account, vm->deployment->commitment().instance_bytes, deadline, [this, vm] {
      std::lock_guard lock(mutex_);
      return closing_ || vm->failure.has_value() ||
             std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == SlotState::kIdle; });
    });
    bool vm_gone = false;  // the grant died with the VM's account (renewed or closed)
    {
      std::lock_guard lock(mutex_);
      vm_gone = closing_ || vm->failure.has_value();
      if (admitted && *admitted == Admission::kGranted && !vm_gone) {
        slot->state = SlotState::kStarting;
        return slot;
      }
    }
    drop(slot);
    // An invocation whose VM failed before it started waits for the next boot.
    if (!admitted && !vm_gone) return admitted.error();
    again = true;
  }
}

Result<InvocationResult> ServedFunction::invoke(const json& params, Clock::duration timeout,
                                               ActivationTrace& trace) {
  const auto arrived = Clock::now();
  const auto deadline = arrived + timeout;
  InvocationResult out;
  auto taken = take_slot(deadline, timeout, out.cold);
  if (!taken) return taken.error();
  Slot* slot = *taken;
  const std::shared_ptr<Vm> vm = slot->vm;
  out.instance = slot->instance;
  out.queued = Clock::now() - arrived;
  trace.cold = out.cold;
  trace.instance = out.instance;

  if (out.cold) {
    const auto cold_begin = Clock::now();
    const std::uint64_t instance_bytes = vm->deployment->commitment().instance_bytes;
    std::shared_lock gate(vm->memory_gate);
    {
      std::lock_guard lock(mutex_);
      vm->granted_bytes += instance_bytes;
    }
    auto started = vm->deployment->start_action(slot->instance);
    out.cold_start = Clock::now() - cold_begin;
    if (!started) {
      // The deployment has given back what the start took, or will have
      // once the VMM shows it (settle_stuck_memory).
      metrics_.add(kInvocationErrors, spec_.name);
      {
        std::lock_guard lock(mutex_);
        slots_.remove_if([slot](const Slot& s) { return &s == slot; });
        vm->granted_bytes -= instance_bytes;
        vm->stuck_bytes += instance_bytes;
      }
      gate.unlock();
      changed_.notify_all();
      if (auto why = check_vm(vm, true)) {
        std::lock_guard lock(mutex_);
        return vm_failed_locked(*why);
      }
      return started.error().context("start an instance").with_code(ErrorCode::kUnavailable).with_reason(
          "function unavailable");
    }
    out.plug = started->plug_latency;
    metrics_.add(kPluggedBytes, spec_.name, double(started->grant.bytes));
    metrics_.add(kColdStarts, spec_.name);
    std::lock_guard lock(mutex_);
    slot->port = started->port;
    slot->state = SlotState::kBusy;
  }

  const auto run_began = Clock::now();
  auto answer = vm->deployment->invoke(slot->instance, "/run", host::run_body(params), run_allowance(deadline, trace),
                                       trace.log_bytes);
  if (!answer) {
    // The instance (or the VM) is gone or wedged: it is not used again. It
    // may have run: it is never tried again.
    metrics_.add(kInvocationErrors, spec_.name);
    if (auto why = check_vm(vm, true)) {
      drop(slot);
      std::lock_guard lock(mutex_);
      return vm_failed_locked(*why);
    }
    {
      std::lock_guard lock(mutex_);
      slot->state = SlotState::kStopping;
    }
    retire({slot}, "its invocation failed", kRetire);
    return run_failure(answer.error(), Clock::now() - run_began, trace, out.instance);
  }
  {
    std::lock_guard lock(mutex_);
    if (vm->failure) {
      // Answered, but the VM failed meanwhile: the instance went with it.
      slots_.remove_if([slot](const Slot& s) { return &s == slot; });
    } else {
      slot->state = SlotState::kIdle;
      slot->idle_since = Clock::now();
      ++slot->invocations;
    }
  }
  changed_.notify_all();
  broker_.poke();  // a scale up of this function waiting for memory may take it
  return finish_invocation(*answer, arrived, std::move(out), metrics_, spec_.name, latencies_, trace);
}

void ServedFunction::retire(const std::vector<Slot*>& slots, const char* why, const host::RetireOptions& options) {
  Vm& vm = *slots.front()->vm;  // they all run on the current VM
  const std::uint64_t instance_bytes = vm.deployment->commitment().instance_bytes;
  std::vector<std::string> instances;
  for (const Slot* slot : slots) instances.push_back(slot->instance);
  std::shared_lock gate(vm.memory_gate);
  std::uint64_t held = 0;  // by the instances that started (they have a port)
  {
    std::lock_guard lock(mutex_);
    for (const Slot* slot : slots) held += slot->port != 0 ? instance_bytes : 0;
    vm.granted_bytes -= std::min(vm.granted_bytes, held);
  }
  host::RetireOptions with_policy = options;
  with_policy.dirty = dirty_;
  const host::RetireReport report = vm.deployment->retire(instances, with_policy);
  // Memory goes back to the budget only as far as the VM gave it back; the
  // rest is settled once the VMM shows it back.
  const std::uint64_t released = report.status ? held : 0;
  {
    std::lock_guard lock(mutex_);
    vm.stuck_bytes += held - released;
  }
  gate.unlock();
  if (released > 0) broker_.release(vm.account, released);
  if (!report.status) {
    if (held > 0) broker_.note_reclaim_shortfall(vm.account);
    spdlog::warn("{}: retiring {} instance(s) ({}): {}", spec_.name, instances.size(), why,
                 report.status.error().message());
  }
  count_reclaim(vm, report, report.instances.size());
  {
    std::lock_guard lock(mutex_);
    for (Slot* slot : slots) slots_.remove_if([slot](const Slot& s) { return &s == slot; });
  }
  changed_.notify_all();
}

void ServedFunction::count_reclaim(Vm& vm, const host::RetireReport& report, std::size_t instances) {
  if (report.reclaimed) {
    metrics_.add(kReclaims, spec_.name, double(instances));
    metrics_.add(kUnpluggedBytes, spec_.name, double(report.bytes));
    metrics_.observe_reclaim(spec_.name, to_seconds(report.latency));
    if (report.measured) {
      metrics_.add(kMigratedPages, spec_.name, double(report.migrated_pages));
    } else {
      spdlog::warn("{}: {}", spec_.name, report.measured.error().message());
    }
  }
  for (const host::DirtyPartition& d : report.dirty) {
    if (d.action != "cleared" && d.action != "reclaimed") metrics_.add(kDirtyPartitionsFound, spec_.name);
  }
  metrics_.set_gauge(kDirtyPartitions, spec_.name, double(vm.deployment->dirty_partitions()));
  metrics_.set_gauge(kQemuRss, spec_.name, double(rss_bytes()));
}

void ServedFunction::reclaim_emptied_partitions(Vm& vm) {
  if (vm.deployment->dirty_partitions() == 0 || Clock::now() - last_dirty_check_ < kDirtyCheckPeriod) return;
  last_dirty_check_ = Clock::now();
  // The budget gets the memory back through settle_stuck_memory, as the VMM
  // shows it back.
  std::shared_lock gate(vm.memory_gate);
  const host::RetireReport report = vm.deployment->reclaim_emptied(kRetire);
  gate.unlock();
  if (!report.status) spdlog::warn("{}: {}", spec_.name, report.status.error().message());
  count_reclaim(vm, report, report.dirty.size());
}

void ServedFunction::reap_loop() {
  std::unique_lock lock(mutex_);
  while (!closing_) {
    auto wake = Clock::now() + kReapPeriod;
    if (recovery_.state() == VmState::kRecovering) wake = std::min(wake, recovery_.next_attempt());
    changed_.wait_until(lock, wake);
    if (closing_) break;
    if (recovery_.state() == VmState::kRecovering && Clock::now() >= recovery_.next_attempt()) {
      lock.unlock();
      recover();
      lock.lock();
      continue;
    }
    if (recovery_.state() != VmState::kReady) continue;
    const bool probe = Clock::now() - last_probe_ >= kProbePeriod;
    const std::shared_ptr<Vm> vm = vm_;
    lock.unlock();
    const bool failed = check_vm(vm, probe).has_value();
    if (!failed) {
      reclaim_emptied_partitions(*vm);
      settle_stuck_memory();
    }
    lock.lock();
    if (failed || closing_ || vm != vm_) continue;
    const auto now = Clock::now();
    std::vector<Slot*> expired;
    for (Slot& s : slots_) {
      if (s.state == SlotState::kIdle && now - s.idle_since >= spec_.keep_alive) {
        s.state = SlotState::kStopping;
        expired.push_back(&s);
      }
    }
    if (expired.empty()) continue;
    lock.unlock();
    retire(expired, "keep-alive expired", kRetire);
    lock.lock();
  }
}

void ServedFunction::recover() {
  std::size_t attempt = 0;
  {
    std::lock_guard lock(mutex_);
    if (closing_ || recovery_.state() != VmState::kRecovering) return;
    recovery_.attempting();
    attempt = recovery_.attempts();
  }
  spdlog::info("{}: booting its VM again (attempt {})", spec_.name, attempt);
  auto booted = host::Deployment::create(boot_spec_, abandon_.get_token());
  std::shared_ptr<Vm> failed;  // the VM it replaces: its run directory goes outside the lock
  {
    std::lock_guard lock(mutex_);
    if (closing_) {
      // A VM that booted all the same ends with `booted`, outside the lock.
      spdlog::info("{}: the reboot of its VM is abandoned", spec_.name);
      return;
    }
    if (!booted) {
      // The first line says why; the guest console's tail is in the log.
      const std::string& message = booted.error().message();
      spdlog::warn("{}: its VM did not boot again: {}", spec_.name, message);
      failed_locked("the VM did not boot again: " + message.substr(0, message.find('\n')));
    } else {
      failed = std::exchange(vm_, std::make_shared<Vm>(std::move(*booted), account_));
      recovery_.recovered();
      last_probe_ = Clock::now();
    }
  }
  changed_.notify_all();
  if (booted) {
    spdlog::info("{}: its VM serves again (attempt {})", spec_.name, attempt);
    metrics_.add(kVmRecoveries, spec_.name);
    metrics_.set_gauge(kQemuRss, spec_.name, double(rss_bytes()));
  }
}

std::vector<IdleInstance> ServedFunction::idle_instances() {
  std::lock_guard lock(mutex_);
  std::vector<IdleInstance> idle;
  if (closing_ || recovery_.state() != VmState::kReady) return idle;
  const std::uint64_t bytes = vm_->deployment->commitment().instance_bytes;
  for (const Slot& s : slots_) {
    if (s.state == SlotState::kIdle) idle.push_back({s.instance, s.idle_since, bytes});
  }
  return idle;
}

std::size_t ServedFunction::evict(const std::vector<std::string>& instances) {
  std::vector<Slot*> evicted;
  {
    std::lock_guard lock(mutex_);
    if (closing_ || recovery_.state() != VmState::kReady) return 0;
    for (Slot& s : slots_) {
      if (s.state == SlotState::kIdle && std::find(instances.begin(), instances.end(), s.instance) != instances.end()) {
        s.state = SlotState::kStopping;
        evicted.push_back(&s);
      }
    }
  }
  if (!evicted.empty()) retire(evicted, "evicted to make room in the memory budget", kEvict);
  return evicted.size();
}

void ServedFunction::settle_stuck_memory() {
  std::shared_ptr<Vm> vm;
  {
    std::lock_guard lock(mutex_);
    if (vm_->stuck_bytes == 0 || vm_->failure) return;
    vm = vm_;
  }
  std::unique_lock gate(vm->memory_gate, std::try_to_lock);
  if (!gate.owns_lock()) return;  // a start or retire is under way: later
  auto held = vm->deployment->held_bytes();
  if (!held) return;
  std::uint64_t released = 0;
  {
    std::lock_guard lock(mutex_);
    const std::uint64_t still = *held > vm->granted_bytes ? *held - vm->granted_bytes : 0;
    if (still >= vm->stuck_bytes) return;
    released = vm->stuck_bytes - still;
    vm->stuck_bytes = still;
  }
  spdlog::info("{}: {} of memory whose reclaim was incomplete is back", spec_.name, format_size(released));
  broker_.release(vm->account, released);
}

const char* ServedFunction::state_name(SlotState state) {
  switch (state) {
    case SlotState::kAwaitingMemory: return "awaiting-memory";
    case SlotState::kStarting: return "starting";
    case SlotState::kIdle: return "idle";
    case SlotState::kBusy: return "busy";
    case SlotState::kStopping: return "stopping";
  }
  return "?";
}

std::shared_ptr<ServedFunction::Vm> ServedFunction::current_vm() {
  std::lock_guard lock(mutex_);
  return vm_;
}

std::uint64_t ServedFunction::rss_bytes() {
  auto rss = current_vm()->deployment->rss_bytes();
  return rss ? *rss : 0;
}

Result<std::size_t> ServedFunction::guest_instance_count() {
  auto listed = current_vm()->deployment->guest_instances();
  if (!listed) return listed.error();
  return listed->size();
}

std::size_t ServedFunction::peak_instances() {
  std::lock_guard lock(mutex_);
  return peak_instances_;
}

VmState ServedFunction::state() {
  std::lock_guard lock(mutex_);
  return recovery_.state();
}

std::optional<std::string> ServedFunction::failure() {
  std::lock_guard lock(mutex_);
  if (recovery_.state() == VmState::kReady) return std::nullopt;
  return recovery_.last_reason();
}

Error ServedFunction::vm_failed_locked(const std::string& why) const {
  if (recovery_.state() == VmState::kCrashLooping) {
    return Error(ErrorCode::kUnavailable,
                 fmt::format("the VM of '{}' is crash-looping and is not booted again ({}); deploy the function "
                             "again with PUT",
                             spec_.name, recovery_.summary(Clock::now())))
        .with_reason("function VM failed");
  }
  return Error(ErrorCode::kUnavailable, fmt::format("the VM of '{}' failed ({}){}", spec_.name, why,
                                                    closing_ ? "" : "; it is being booted again"))
      .with_reason("function VM failed");
}

void ServedFunction::drop(const Slot* slot) {
  {
    std::lock_guard lock(mutex_);
    slots_.remove_if([slot](const Slot& s) { return &s == slot; });
  }
  changed_.notify_all();
}

std::optional<std::string> ServedFunction::check_vm(const std::shared_ptr<Vm>& vm, bool probe) {
  {
    std::lock_guard lock(mutex_);
    if (vm->failure || closing_) return vm->failure;
    if (probe) last_probe_ = Clock::now();
  }
  Status health = vm->deployment->health(probe ? host::HealthCheck::kProbe : host::HealthCheck::kLook);
  if (health) return std::nullopt;
  const std::string why = health.error().message();
  {
    std::lock_guard lock(mutex_);
    if (vm->failure) return vm->failure;
    vm->failure = why;
    if (closing_) return why;  // shutdown closes the account
    // Only the current VM can fail for the first time. Instances in use are
    // dropped by the invocations holding them.
    slots_.remove_if([](const Slot& s) { return s.state == SlotState::kIdle; });
    failed_locked(why);
    // Counted before the lock goes: an invocation that sees the failure
    // (vm->failure) must also see it counted.
    metrics_.add(kVmFailures, spec_.name);
    metrics_.set_gauge(kQemuRss, spec_.name, 0);
  }
  changed_.notify_all();
  return why;
}

void ServedFunction::failed_locked(const std::string& why) {
  // QEMU has ended: what its instances held is back. The idle commitment
  // stays admitted for the next boot, unless there will be none.
  if (recovery_.failed(Clock::now(), why) == VmState::kCrashLooping) {
    spdlog::error("{}: its VM is crash-looping, it is not booted again: {}", spec_.name,
                  recovery_.summary(Clock::now()));
    broker_.close(account_);
    return;
  }
  spdlog::warn("{}: its VM failed ({}); booting it again in {:.1f} s", spec_.name, why,
               to_seconds(recovery_.next_attempt() - Clock::now()));
  if (auto renewed = broker_.renew(account_)) account_ = *renewed;
}

json ServedFunction::describe() {
  json instances = json::array();
  std::size_t queued = 0;
  std::shared_ptr<Vm> vm;
  VmState state;
  json recovery;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (const Slot& s : slots_) {
      json i{{"name", s.instance}, {"port", s.port}, {"state", state_name(s.state)},
             {"invocations", s.invocations}};
      if (s.state == SlotState::kIdle) i["idle_s"] = to_seconds(now - s.idle_since);
      instances.push_back(std::move(i));
    }
    queued = queue_.size();
    vm = vm_;
    state = recovery_.state();
    recovery = recovery_.to_json(now, std::chrono::system_clock::now());
  }
  // A failed VM's own view until the next boot: why, its console log.
  json described = vm->deployment->describe();
  return json{{"function", spec_.to_json()},
              {"state", to_string(state)},
              {"vm", std::move(described["vm"])},
              {"memory", std::move(described["memory"])},
              {"instances", instances},
              {"queued", queued},
              {"recovery", std::move(recovery)},
              {"latency", latencies_.to_json(Clock::now())}};
}

}  // namespace hotmem::serve

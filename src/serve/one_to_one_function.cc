#include "serve/one_to_one_function.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "host/action_runtime.h"
#include "host/one_to_one.h"

namespace hotmem::serve {
namespace {

constexpr auto kOneToOneReapPeriod = std::chrono::milliseconds(250);

Error one_to_one_unavailable(std::string message) {
  return Error(ErrorCode::kUnavailable, std::move(message)).with_reason("function unavailable");
}

}  // namespace

Result<std::shared_ptr<OneToOneFunction>> OneToOneFunction::deploy(const FunctionSpec& spec,
                                                                   const host::FunctionVmConfig& vm, Metrics& metrics,
                                                                   MemoryBroker& broker) {
  std::shared_ptr<OneToOneFunction> f(new OneToOneFunction(spec, metrics, broker));
  f->vm_spec_ = host::one_to_one_spec(deployment_spec(spec, vm));
  auto bytes = host::one_to_one_bytes(f->vm_spec_);
  if (!bytes) return bytes.error();
  f->vm_bytes_ = *bytes;
  // Nothing while no instance runs; a whole VM per instance.
  auto account = broker.open(spec.name, Commitment{0, f->vm_bytes_});
  if (!account) return account.error();
  f->account_ = *account;
  broker.attach(f->account_, f);
  metrics.set_gauge(kQemuRss, spec.name, 0);
  f->reaper_ = std::thread([raw = f.get()] { raw->reap_loop(); });
  return f;
}

OneToOneFunction::~OneToOneFunction() { shutdown(); }

void OneToOneFunction::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
  }
  abandon_.request_stop();
  changed_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  std::vector<std::shared_ptr<host::Deployment>> vms;
  {
    std::lock_guard lock(mutex_);
    for (const Slot& s : slots_) {
      if (s.vm) vms.push_back(s.vm);
    }
  }
  // QEMUs end now; calls in flight on other threads fail with their channel.
  for (const auto& vm : vms) vm->shutdown();
  broker_.close(account_);  // every QEMU has ended: their memory is back
}

Result<OneToOneFunction::Slot*> OneToOneFunction::take_slot(Clock::time_point deadline, Clock::duration timeout,
                                                           bool& cold) {
  for (;;) {
    Slot* slot = nullptr;
    cold = false;
    {
      std::unique_lock lock(mutex_);
      ++waiting_;
      for (;;) {
        if (closing_) {
          --waiting_;
          return one_to_one_unavailable("the function is being deleted");
        }
        auto idle =
            std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == SlotState::kIdle; });
        if (idle != slots_.end()) {
          slot = &*idle;
          slot->state = SlotState::kBusy;
          break;
        }
        if (slots_.size() < static_cast<std::size_t>(spec_.concurrency)) {
          slot = &slots_.emplace_back(Slot{fmt::format("i{}", ++next_instance_), SlotState::kAwaitingMemory, false,
                                           {}, 0, nullptr});
          peak_instances_ = std::max(peak_instances_, slots_.size());
          cold = true;
          break;
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && Clock::now() >= deadline) {
          --waiting_;
          return Error(ErrorCode::kUnavailable,
                       fmt::format("no instance became free within {:.0f} s ({} running)", to_seconds(timeout),
                                   slots_.size()))
              .with_reason("no instance free");
        }
      }
      --waiting_;
    }
    if (!cold) return slot;
    // A new VM: its memory first. While it waits, an instance of this
    // function that goes idle serves it instead.
    auto admitted = broker_.acquire(account_, vm_bytes_, deadline, [this] {
      std::lock_guard lock(mutex_);
      return closing_ ||
             std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == SlotState::kIdle; });
    });
    {
      std::lock_guard lock(mutex_);
      if (admitted && *admitted == Admission::kGranted) {
        slot->admitted = true;
        slot->state = SlotState::kBooting;
        if (!closing_) return slot;
      }
    }
    end({slot}, "no memory for its VM");
    if (!admitted) return admitted.error();
  }
}

Status OneToOneFunction::cold_start(Slot& slot, InvocationResult& out) {
  const auto begin = Clock::now();
  host::DeploymentSpec spec = vm_spec_;
  spec.vm.name = fmt::format("{}-{}", spec_.name, slot.instance);
  auto booted = host::Deployment::create(spec, abandon_.get_token());
  out.boot = Clock::now() - begin;
  if (!booted) return booted.error().context(fmt::format("boot the VM of '{}' {}", spec_.name, slot.instance));
  std::shared_ptr<host::Deployment> vm(std::move(*booted));
  {
    std::lock_guard lock(mutex_);
    slot.vm = vm;
    if (closing_) return Error("the function is being deleted");
  }
  auto started = vm->start_action(slot.instance);
  out.cold_start = Clock::now() - begin;
  if (!started) return started.error().context("start " + slot.instance);
  metrics_.add(kColdStarts, spec_.name);
  metrics_.set_gauge(kQemuRss, spec_.name, double(rss_bytes()));
  std::lock_guard lock(mutex_);
  slot.state = SlotState::kBusy;
  return ok_status();
}

Result<InvocationResult> OneToOneFunction::invoke(const json& params, Clock::duration timeout,
                                                 ActivationTrace& trace) {
  const auto arrived = Clock::now();
  const auto deadline = arrived + timeout;
  InvocationResult out;
  auto taken = take_slot(deadline, timeout, out.cold);
  if (!taken) return taken.error();
  Slot* slot = *taken;
  out.instance = slot->instance;
  out.queued = Clock::now() - arrived;
  trace.cold = out.cold;
  trace.instance = out.instance;
  if (out.cold) {
    if (Status s = cold_start(*slot, out); !s) {
      metrics_.add(kInvocationErrors, spec_.name);
      end({slot}, "its cold start failed");
      return s.error().with_code(ErrorCode::kUnavailable).with_reason("function unavailable");
    }
  }
  std::shared_ptr<host::Deployment> vm;
  {
    std::lock_guard lock(mutex_);
    vm = slot->vm;
  }
  const auto run_began = Clock::now();
  auto answer = vm->invoke(slot->instance, "/run", host::run_body(params), run_allowance(deadline, trace),
                           trace.log_bytes);
  if (!answer) {
    // The instance or its VM is gone or wedged: it ends with its VM. It may
    // have run: it is never tried again.
    metrics_.add(kInvocationErrors, spec_.name);
    const Status health = vm->health(host::HealthCheck::kProbe);
    {
      std::lock_guard lock(mutex_);
      slot->state = SlotState::kStopping;
    }
    end({slot}, "its invocation failed");
    if (!health) {
      metrics_.add(kVmFailures, spec_.name);
      return Error(ErrorCode::kUnavailable, fmt::format("the VM of '{}' {} failed ({})", spec_.name, out.instance,
                                                        health.error().message()))
          .with_reason("function VM failed");
    }
    return run_failure(answer.error(), Clock::now() - run_began, trace, out.instance);
  }
  {
    std::lock_guard lock(mutex_);
    slot->state = SlotState::kIdle;
    slot->idle_since = Clock::now();
    ++slot->invocations;
  }
  changed_.notify_all();
  broker_.poke();  // a cold start of this function waiting for memory may take it
  return finish_invocation(*answer, arrived, std::move(out), metrics_, spec_.name, latencies_, trace);
}

void OneToOneFunction::end(const std::vector<Slot*>& slots, const char* why) {
  std::vector<std::shared_ptr<host::Deployment>> vms;
  std::uint64_t admitted = 0;
  for (const Slot* slot : slots) {
    std::lock_guard lock(mutex_);
    if (slot->vm) vms.push_back(slot->vm);
    if (slot->admitted) admitted += vm_bytes_;
  }
  for (const auto& vm : vms) {
    spdlog::info("{}: ending the VM of an instance ({})", spec_.name, why);
    vm->shutdown();
  }
  // QEMU has ended: its memory is back on the host.
  if (admitted > 0) broker_.release(account_, admitted);
  bool closing = false;
  {
    std::lock_guard lock(mutex_);
    for (const Slot* slot : slots) slots_.remove_if([slot](const Slot& s) { return &s == slot; });
    closing = closing_;
  }
  changed_.notify_all();
  if (!closing) metrics_.set_gauge(kQemuRss, spec_.name, double(rss_bytes()));
  // The VMs' run directories go as the last owners let go, here or in an
  // invocation still holding one.
}

void OneToOneFunction::reap_loop() {
  std::unique_lock lock(mutex_);
  while (!closing_) {
    changed_.wait_for(lock, kOneToOneReapPeriod);
    if (closing_) break;
    const auto now = Clock::now();
    std::vector<Slot*> expired;
    std::vector<Slot*> idle;
    for (Slot& s : slots_) {
      if (s.state != SlotState::kIdle) continue;
      if (now - s.idle_since >= spec_.keep_alive) {
        s.state = SlotState::kStopping;
        expired.push_back(&s);
      } else {
        idle.push_back(&s);
      }
    }
    lock.unlock();
    if (!expired.empty()) end(expired, "keep-alive expired");
    // An idle instance whose QEMU ended goes with it.
    std::vector<Slot*> failed;
    for (Slot* s : idle) {
      std::shared_ptr<host::Deployment> vm;
      {
        std::lock_guard guard(mutex_);
        if (s->state != SlotState::kIdle) continue;
        vm = s->vm;
      }
      if (vm->health(host::HealthCheck::kLook)) continue;
      std::lock_guard guard(mutex_);
      if (s->state != SlotState::kIdle) continue;
      s->state = SlotState::kStopping;
      failed.push_back(s);
    }
    if (!failed.empty()) {
      metrics_.add(kVmFailures, spec_.name, double(failed.size()));
      end(failed, "its VM failed");
    }
    lock.lock();
  }
}

std::vector<IdleInstance> OneToOneFunction::idle_instances() {
  std::lock_guard lock(mutex_);
  std::vector<IdleInstance> idle;
  if (closing_) return idle;
  for (const Slot& s : slots_) {
    if (s.state == SlotState::kIdle) idle.push_back({s.instance, s.idle_since, vm_bytes_});
  }
  return idle;
}

std::size_t OneToOneFunction::evict(const std::vector<std::string>& instances) {
  std::vector<Slot*> evicted;
  {
    std::lock_guard lock(mutex_);
    if (closing_) return 0;
    for (Slot& s : slots_) {
      if (s.state == SlotState::kIdle && std::find(instances.begin(), instances.end(), s.instance) != instances.end()) {
        s.state = SlotState::kStopping;
        evicted.push_back(&s);
      }
    }
  }
  if (!evicted.empty()) end(evicted, "evicted to make room in the memory budget");
  return evicted.size();
}

std::uint64_t OneToOneFunction::rss_bytes() {
  std::vector<std::shared_ptr<host::Deployment>> vms;
  {
    std::lock_guard lock(mutex_);
    for (const Slot& s : slots_) {
      if (s.vm) vms.push_back(s.vm);
    }
  }
  std::uint64_t rss = 0;
  for (const auto& vm : vms) {
    if (auto r = vm->rss_bytes()) rss += *r;
  }
  return rss;
}

std::size_t OneToOneFunction::peak_instances() {
  std::lock_guard lock(mutex_);
  return peak_instances_;
}

const char* OneToOneFunction::state_name(SlotState state) {
  switch (state) {
    case SlotState::kAwaitingMemory: return "awaiting-memory";
    case SlotState::kBooting: return "booting";
    case SlotState::kIdle: return "idle";
    case SlotState::kBusy: return "busy";
    case SlotState::kStopping: return "stopping";
  }
  return "?";
}

json OneToOneFunction::describe() {
  struct Seen {
    json instance;
    std::shared_ptr<host::Deployment> vm;
  };
  std::vector<Seen> seen;
  std::size_t waiting = 0;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (const Slot& s : slots_) {
      json i{{"name", s.instance}, {"state", state_name(s.state)}, {"invocations", s.invocations}};
      if (s.state == SlotState::kIdle) i["idle_s"] = to_seconds(now - s.idle_since);
      seen.push_back({std::move(i), s.vm});
    }
    waiting = waiting_;
  }
  json instances = json::array();
  for (Seen& s : seen) {
    if (s.vm) s.instance["vm"] = s.vm->describe()["vm"];
    instances.push_back(std::move(s.instance));
  }
  return json{{"function", spec_.to_json()},
              {"state", to_string(state())},
              {"instance_vm", {{"vcpus", vm_spec_.vm.vcpus}, {"boot_memory_bytes", vm_bytes_}}},
              {"instances", std::move(instances)},
              {"queued", waiting},
              {"latency", latencies_.to_json(Clock::now())}};
}

}  // namespace hotmem::serve

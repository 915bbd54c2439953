#include "serve/served_function.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/poll.h"
#include "host/guest_workloads.h"
#include "image/rootfs_image.h"
#include "protocol/channel.h"
#include "protocol/messages.h"

namespace hotmem::serve {
namespace {

constexpr int kFirstPort = 8000;
constexpr auto kStopGrace = std::chrono::seconds(5);
constexpr auto kReclaimTimeout = std::chrono::seconds(120);
constexpr auto kReapPeriod = std::chrono::milliseconds(250);
constexpr auto kInitTimeout = std::chrono::seconds(60);
// The reaper pings an agent this often; one that stays silent for the
// timeout (generous: emulated guests under load are slow) fails its VM.
constexpr auto kProbePeriod = std::chrono::seconds(10);
constexpr auto kProbeTimeout = std::chrono::seconds(10);
// The OpenWhisk action runner of the python runtime, inside the rootfs.
constexpr std::array<const char*, 2> kPythonRunner{"/usr/bin/python3", "/opt/hotmem/ow_runner.py"};

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

json InvocationResult::to_json() const {
  return json{{"status", status},
              {"result", result},
              {"cold_start", cold},
              {"instance", instance},
              {"timings_ms",
               {{"queued", to_ms(queued)}, {"cold_start", to_ms(cold_start)}, {"plug", to_ms(plug)},
                {"execution", to_ms(execution)}, {"total", to_ms(total)}}}};
}

Result<std::shared_ptr<ServedFunction>> ServedFunction::deploy(const FunctionSpec& spec,
                                                               const host::FunctionVmConfig& vm, Metrics& metrics) {
  std::shared_ptr<ServedFunction> f(new ServedFunction(spec, metrics));
  host::FunctionVmConfig vm_config = vm;
  if (spec.runtime == "python") {
    // Python instances run from the read-only Debian root filesystem.
    const auto rootfs = vm.rootfs_image.value_or(image::default_rootfs_image());
    if (!std::filesystem::exists(rootfs)) {
      return Error(fmt::format("the python runtime needs the function root filesystem {}: run ./scripts/setup",
                               rootfs.string()));
    }
    vm_config.rootfs_image = rootfs;
    auto preload = image::rootfs_preload_paths(rootfs);
    if (!preload) return preload.error();
    f->preload_ = std::move(*preload);
  }
  host::DeploymentSpec d;
  d.mode = spec.mode;
  d.shape.max_instances = spec.concurrency;
  d.shape.instance_bytes = spec.memory_mib * kMiB;
  d.vm = vm_config;
  d.vm.name = spec.name;
  d.vm.vcpus = spec.vcpus;
  auto deployment = host::Deployment::create(d);
  if (!deployment) return deployment.error().context(fmt::format("boot the VM of '{}'", spec.name));
  f->deployment_ = std::move(*deployment);
  if (auto rss = f->deployment_->vm().vmm().rss_bytes()) metrics.set_gauge(kQemuRss, spec.name, double(*rss));
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
  changed_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  // QEMU ends now; calls in flight on other threads fail with the channel.
  if (deployment_) deployment_->vm().vmm().shutdown(std::chrono::seconds(2));
  metrics_.forget(spec_.name);
}

host::InstanceRequest ServedFunction::launch_request(const Slot& slot) const {
  host::InstanceRequest request;
  request.name = slot.instance;
  request.env = {{"PORT", std::to_string(slot.port)}};
  if (spec_.runtime == "python") {
    request.argv = {kPythonRunner.begin(), kPythonRunner.end()};
    request.root = protocol::kRootfsMountPoint;
    request.preload = preload_;
  } else {
    request.argv = spec_.command.empty() ? host::action_argv() : spec_.command;
  }
  return request;
}

int ServedFunction::free_port() const {
  std::set<int> used;
  for (const Slot& s : slots_) used.insert(s.port);
  int port = kFirstPort;
  while (used.contains(port)) ++port;
  return port;
}

std::variant<InvocationResult, InvokeError> ServedFunction::invoke(const json& params, Clock::duration timeout) {
  const auto arrived = Clock::now();
  const auto deadline = arrived + timeout;
  InvocationResult out;
  Slot* slot = nullptr;
  {
    std::unique_lock lock(mutex_);
    const std::uint64_t ticket = next_ticket_++;
    queue_.push_back(ticket);
    for (;;) {
      if (closing_ || failure_) {
        std::erase(queue_, ticket);
        changed_.notify_all();
        if (failure_) return vm_failed(*failure_);
        return InvokeError{InvokeFailure::kUnavailable, "the function is being deleted"};
      }
      if (queue_.front() == ticket) {
        auto idle = std::find_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == SlotState::kIdle; });
        if (idle != slots_.end()) {
          slot = &*idle;
          slot->state = SlotState::kBusy;
        } else if (slots_.size() < static_cast<std::size_t>(spec_.concurrency)) {
          slot = &slots_.emplace_back(Slot{fmt::format("i{}", ++next_instance_), free_port(), SlotState::kStarting, {}, 0});
          out.cold = true;
        }
        if (slot) {
          queue_.pop_front();
          break;
        }
      }
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        std::erase(queue_, ticket);
        changed_.notify_all();
        return InvokeError{InvokeFailure::kBusy,
                           fmt::format("no instance became free within {:.0f} s ({} running, {} queued)",
                                       seconds(timeout), slots_.size(), queue_.size())};
      }
    }
  }
  changed_.notify_all();  // the next in line may now be first
  out.instance = slot->instance;
  out.queued = Clock::now() - arrived;

  if (out.cold) {
    const auto cold_begin = Clock::now();
    auto plug = start_instance(*slot);
    out.cold_start = Clock::now() - cold_begin;
    if (!plug) {
      // The pool has already given back what the start took.
      metrics_.add(kInvocationErrors, spec_.name);
      {
        std::lock_guard lock(mutex_);
        slots_.remove_if([slot](const Slot& s) { return &s == slot; });
      }
      changed_.notify_all();
      if (auto why = check_vm(true)) return vm_failed(*why);
      return InvokeError{InvokeFailure::kUnavailable, plug.error().context("start an instance").message()};
    }
    out.plug = *plug;
    metrics_.add(kColdStarts, spec_.name);
    std::lock_guard lock(mutex_);
    slot->state = SlotState::kBusy;
  }

  const auto left = std::max<Clock::duration>(deadline - Clock::now(), std::chrono::seconds(1));
  auto answer = deployment_->vm().agent().invoke(slot->instance, slot->port, "/run", json{{"value", params}}.dump(),
                                                 left);
  if (!answer) {
    // The instance (or the VM) is gone or wedged: it is not used again.
    metrics_.add(kInvocationErrors, spec_.name);
    {
      std::lock_guard lock(mutex_);
      slot->state = SlotState::kStopping;
    }
    auto why = check_vm(true);
    retire({slot}, "its invocation failed");
    if (why) return vm_failed(*why);
    return InvokeError{InvokeFailure::kUnavailable, answer.error().context("invoke " + out.instance).message()};
  }
  {
    std::lock_guard lock(mutex_);
    slot->state = SlotState::kIdle;
    slot->idle_since = Clock::now();
    ++slot->invocations;
  }
  changed_.notify_all();
  out.status = answer->status;
  out.execution = answer->elapsed;
  out.total = Clock::now() - arrived;
  // The answer comes from code in the guest: it must be a JSON object.
  auto result = protocol::parse_object(answer->body);
  if (!result) {
    metrics_.add(kInvocationErrors, spec_.name);
    return InvokeError{InvokeFailure::kBadAnswer, "the action's answer is not a JSON object: " + result.error().message()};
  }
  out.result = std::move(*result);
  if (out.status < 200 || out.status > 299) {
    metrics_.add(kInvocationErrors, spec_.name);
    return InvokeError{InvokeFailure::kActionFailed,
                       fmt::format("the action answered {}: {}", out.status, out.result.dump())};
  }
  metrics_.add(kInvocations, spec_.name);
  metrics_.observe_invocation(spec_.name, seconds(out.total));
  return out;
}

Result<Clock::duration> ServedFunction::start_instance(Slot& slot) {
  auto started = deployment_->pool().start(launch_request(slot));
  if (!started) return started.error();
  metrics_.add(kPluggedBytes, spec_.name, double(started->grant.bytes));
  if (spec_.runtime == "python") {
    // The OpenWhisk way: the runner gets the action's code with /init.
    const json init{{"value", {{"code", spec_.code}, {"main", spec_.main}, {"binary", false}}}};
    auto answer = deployment_->vm().agent().invoke(slot.instance, slot.port, "/init", init.dump(), kInitTimeout);
    Status ok = !answer                                       ? Status(answer.error())
                : answer->status < 200 || answer->status > 299 ? Status(Error(fmt::format(
                                                                     "the runner answered {}: {}", answer->status,
                                                                     answer->body.substr(0, 512))))
                                                               : ok_status();
    if (!ok) {
      // Its memory goes back like any ended instance's.
      if (auto end = deployment_->pool().stop(slot.instance, kStopGrace)) {
        (void)deployment_->pool().reclaim({*end}, kReclaimTimeout);
      }
      return ok.error().context("/init");
    }
  }
  return started->plug_latency;
}

void ServedFunction::retire(const std::vector<Slot*>& slots, const char* why) {
  auto& pool = deployment_->pool();
  auto& agent = deployment_->vm().agent();
  std::vector<host::StoppedInstance> stopped;
  const bool vm_failed = failure().has_value();  // then QEMU has ended: nothing to stop or reclaim
  for (Slot* slot : slots) {
    if (vm_failed) break;
    auto end = pool.stop(slot->instance, kStopGrace);
    if (end) {
      stopped.push_back(*end);
    } else {
      spdlog::warn("{}: stopping instance {} ({}): {}", spec_.name, slot->instance, why, end.error().message());
    }
  }
  if (!stopped.empty()) {
    auto before = agent.memory_report();
    auto reclaimed = pool.reclaim(stopped, kReclaimTimeout);
    auto after = agent.memory_report();
    if (reclaimed) {
      metrics_.add(kReclaims, spec_.name, double(stopped.size()));
      metrics_.add(kUnpluggedBytes, spec_.name, double(reclaimed->bytes));
      metrics_.observe_reclaim(spec_.name, seconds(reclaimed->latency));
      if (before && after) {
        if (auto migrated = protocol::migrated_pages_between(*before, *after)) {
          metrics_.add(kMigratedPages, spec_.name, double(*migrated));
        } else {
          spdlog::warn("{}: {}", spec_.name, migrated.error().message());
        }
      }
    } else {
      spdlog::warn("{}: reclaiming {} instance(s): {}", spec_.name, stopped.size(), reclaimed.error().message());
    }
  }
  metrics_.set_gauge(kQemuRss, spec_.name, double(rss_bytes()));
  {
    std::lock_guard lock(mutex_);
    for (Slot* slot : slots) slots_.remove_if([slot](const Slot& s) { return &s == slot; });
  }
  changed_.notify_all();
}

void ServedFunction::reap_loop() {
  std::unique_lock lock(mutex_);
  while (!closing_) {
    changed_.wait_for(lock, kReapPeriod);
    if (closing_) break;
    if (failure_) continue;
    const bool probe = Clock::now() - last_probe_ >= kProbePeriod;
    lock.unlock();
    const bool failed = check_vm(probe).has_value();
    lock.lock();
    if (failed || closing_) continue;
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
    retire(expired, "keep-alive expired");
    lock.lock();
  }
}

const char* ServedFunction::state_name(SlotState state) {
  switch (state) {
    case SlotState::kStarting: return "starting";
    case SlotState::kIdle: return "idle";
    case SlotState::kBusy: return "busy";
    case SlotState::kStopping: return "stopping";
  }
  return "?";
}

std::uint64_t ServedFunction::rss_bytes() {
  auto rss = deployment_->vm().vmm().rss_bytes();
  return rss ? *rss : 0;
}

Result<std::size_t> ServedFunction::guest_instance_count() {
  auto listed = deployment_->vm().agent().list_instances();
  if (!listed) return listed.error();
  return listed->size();
}

std::optional<std::string> ServedFunction::failure() {
  std::lock_guard lock(mutex_);
  return failure_;
}

InvokeError ServedFunction::vm_failed(const std::string& why) const {
  return InvokeError{InvokeFailure::kVmFailed,
                     fmt::format("the VM of '{}' failed ({}); deploy the function again with PUT", spec_.name, why)};
}

std::optional<std::string> ServedFunction::check_vm(bool probe) {
  {
    std::lock_guard lock(mutex_);
    if (failure_ || closing_) return failure_;
    if (probe) last_probe_ = Clock::now();
  }
  auto& vm = deployment_->vm();
  std::optional<std::string> why;
  if (!vm.vmm().alive()) {
    why = vm.vmm().exit_description();
  } else {
    if (auto broken = vm.agent().broken()) {
      why = "the agent broke the channel: " + *broken;
    } else if (probe) {
      if (auto ping = vm.agent().ping(kProbeTimeout); !ping) why = "the agent does not answer: " + ping.error().message();
    }
    // A QEMU that dies closes the channel too, maybe while it is being
    // probed: give it a moment to be reaped, so the reason says how it ended.
    if (why && poll_until([&vm]() -> Result<bool> { return !vm.vmm().alive(); }, std::chrono::seconds(1),
                          [] { return std::string("QEMU to exit"); })) {
      why = vm.vmm().exit_description();
    }
  }
  if (!why) return std::nullopt;
  {
    std::lock_guard lock(mutex_);
    if (failure_ || closing_) return failure_;
    failure_ = why;
    // Instances in use are dropped by the invocations holding them.
    slots_.remove_if([](const Slot& s) { return s.state == SlotState::kIdle; });
  }
  spdlog::error("{}: the VM failed: {}", spec_.name, *why);
  metrics_.add(kVmFailures, spec_.name);
  // Whatever the guest does, QEMU ends and its memory goes back to the host.
  vm.vmm().shutdown(std::chrono::seconds(2));
  metrics_.set_gauge(kQemuRss, spec_.name, 0);
  changed_.notify_all();
  return why;
}

json ServedFunction::describe() {
  auto& vm = deployment_->vm();
  json instances = json::array();
  std::size_t queued = 0;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    for (const Slot& s : slots_) {
      json i{{"name", s.instance}, {"port", s.port}, {"state", state_name(s.state)},
             {"invocations", s.invocations}};
      if (s.state == SlotState::kIdle) i["idle_s"] = seconds(now - s.idle_since);
      instances.push_back(std::move(i));
    }
    queued = queue_.size();
  }
  json vm_json{{"pid", vm.vmm().pid()}, {"accel", vm.vmm().accel()},
               {"boot_ms", to_ms(vm.boot_time())}, {"alive", vm.vmm().alive()},
               {"run_dir", vm.spec().run_dir.string()}, {"console_log", vm.console_log().string()}};
  if (auto why = failure()) {
    vm_json["state"] = "failed";
    vm_json["failure"] = *why;
  } else {
    vm_json["state"] = "ready";
  }
  if (auto rss = vm.vmm().rss_bytes()) vm_json["rss_bytes"] = *rss;
  return json{{"function", spec_.to_json()},
              {"vm", vm_json},
              {"memory", deployment_->mode().describe()},
              {"instances", instances},
              {"queued", queued}};
}

bool is_idle(const json& described) {
  if (!described.is_object() || !described.value("instances", json::array()).empty()) return false;
  const json memory = described.value("memory", json::object());
  if (!memory.is_object()) return false;
  for (const json& p : memory.value("partitions", json::array())) {
    if (!p.is_object() || !p.contains("state") || p["state"] != "empty") return false;
  }
  return true;
}

}  // namespace hotmem::serve

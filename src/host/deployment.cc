#include "host/deployment.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/poll.h"
#include "common/size.h"
#include "common/proc_stats.h"
#include "host/instance_pool.h"

namespace hotmem::host {
namespace {

constexpr auto kInitTimeout = std::chrono::seconds(60);
// How long the agent may take to end what holds a partition's memory.
constexpr auto kClearTimeout = std::chrono::seconds(5);
// An agent that stays silent this long (generous: emulated guests under
// load are slow) to a health probe fails its VM.
constexpr auto kProbeTimeout = std::chrono::seconds(10);

// Appends `error` to what went wrong so far (the first failure's kind stays).
void add_failure(Status& status, const Error& error) {
  if (status) {
    status = error;
    return;
  }
  status = Error(status.error().code(), status.error().message() + "; " + error.message());
}

// Whether a runner took its /init: the call went through and it answered 2xx.
Status init_taken(const Result<ActionAnswer>& answer) {
  if (!answer) return answer.error();
  if (answer->status < 200 || answer->status > 299) {
    return Error(ErrorCode::kGuestMisbehaved,
                 fmt::format("the runner answered {}: {}", answer->status, answer->body.substr(0, 512)));
  }
  return ok_status();
}

// The VM's layout: the template's, with the mode's nodes and devices only,
// and at least the boot memory they need (memory_mode.h).
void lay_out(const MemoryMode& mode, const FunctionShape& shape, FunctionVmConfig& config) {
  config.memory_devices.clear();
  config.numa_nodes = 1;
  mode.configure(config, shape);
  const std::uint64_t needed = boot_bytes_needed(config, shape.max_instances);
  if (config.base_bytes < needed) {
    spdlog::info("{}: boot memory raised from {} to {}, what {} nodes and {} instances of {} need", config.name,
                 format_size(config.base_bytes), format_size(needed), config.numa_nodes, shape.max_instances,
                 format_size(shape.partition_bytes()));
    config.base_bytes = needed;
  }
}

std::string mib(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", to_mib(bytes)); }

// What held a node's memory and what is left, from the agent's clearing.
std::string what_held(const NodeCleared& cleared) {
  std::string s;
  for (const protocol::NodeHolder& h : cleared.holders) {
    s += fmt::format("pid {} ({}) in cgroup {} held {} on it: {}; ", h.pid, h.command, h.cgroup, mib(h.node_bytes),
                     h.ended ? "ended, it had left its instance" : "spared, it is a live instance's");
  }
  const NodeLeftovers& left = cleared.left;
  return s + fmt::format("{} left (anon {}, file {}, shmem {})", mib(left.used_bytes), mib(left.anon_bytes),
                         mib(left.file_bytes), mib(left.shmem_bytes));
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* to_string(DirtyPolicy policy) { return policy == DirtyPolicy::kKeep ? "keep" : "migrate"; }

Result<DirtyPolicy> parse_dirty_policy(std::string_view name) {
  if (name == "migrate") return DirtyPolicy::kMigrate;
  if (name == "keep") return DirtyPolicy::kKeep;
  return Error(ErrorCode::kInvalidArgument, fmt::format("'{}' is no dirty-partition policy (migrate, keep)", name));
}

nlohmann::json DirtyPartition::to_json() const {
  nlohmann::json j{{"instance", instance},     {"node", node},     {"bytes", bytes},
                   {"left_bytes", left_bytes}, {"reason", reason}, {"action", action},
                   {"migrated_pages", migrated_pages}, {"at_unix_ms", at_unix_ms}};
  if (partition) j["partition"] = *partition;
  return j;
}

Result<MemoryCommitment> Deployment::commitment(const DeploymentSpec& spec) {
  auto mode = make_memory_mode(spec.mode);
  if (!mode) return mode.error();
  FunctionVmConfig config = spec.vm;
  lay_out(**mode, spec.shape, config);
  return (*mode)->commitment(config, spec.shape);
}

Result<std::unique_ptr<Deployment>> Deployment::create(const DeploymentSpec& spec, std::stop_token abandon) {
  if (spec.shape.max_instances < 1 || spec.shape.max_instances > 64) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{} instances per VM asked for; 1-64 supported", spec.shape.max_instances));
  }
  if (spec.shape.instance_bytes < 16 * kMiB || spec.shape.instance_bytes > 1024 * kGiB) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("instance memory {} is outside 16 MiB - 1 TiB", format_size(spec.shape.instance_bytes)));
  }
  std::unique_ptr<Deployment> d(new Deployment());
  d->spec_ = spec;
  auto mode = make_memory_mode(spec.mode);
  if (!mode) return mode.error();
  d->mode_ = std::move(*mode);
  FunctionVmConfig config = spec.vm;
  if (spec.action) {
    auto runtime = ActionRuntime::prepare(*spec.action, config);
    if (!runtime) return runtime.error();
    d->runtime_ = std::move(*runtime);
  }
  lay_out(*d->mode_, spec.shape, config);
  d->commitment_ = d->mode_->commitment(config, spec.shape);
  auto vm = FunctionVm::boot(config, std::move(abandon));
  if (!vm) return vm.error();
  d->vm_ = std::move(*vm);
  if (Status s = d->mode_->attach(*d->vm_, spec.shape); !s) return s.error();
  d->pool_ = std::make_unique<InstancePool>(*d->vm_, *d->mode_, spec.shape);
  return d;
}

// The pool and the mode refer to the VM: they go first.
Deployment::~Deployment() {
  pool_.reset();
  vm_.reset();
  mode_.reset();
}

Result<StartedInstance> Deployment::start(const InstanceRequest& request) {
  auto started = pool_->start(request);
  if (!started || !request.actions || !request.actions->init) return started;
  // The instance counts as started once it has taken its /init.
  const std::string& name = started->name;
  const auto init_sent = Clock::now();
  Status taken = init_taken(vm_->agent().invoke(name, started->port, "/init", *request.actions->init, kInitTimeout));
  started->init_latency = Clock::now() - init_sent;
  if (taken) return started;
  // Its memory goes back like any ended instance's.
  const RetireReport back = retire({name});
  if (!back.status) spdlog::warn("retire {} after its failed /init: {}", name, back.status.error().message());
  return taken.error().context("/init");
}

Result<StartedInstance> Deployment::start_action(const std::string& name) {
  if (!runtime_) return Error(ErrorCode::kInvalidArgument, "this deployment serves no action");
  return start(runtime_->instance(name));
}

Result<ActionAnswer> Deployment::invoke(const std::string& instance, const std::string& path, const std::string& body,
                                        Clock::duration timeout, std::size_t log_bytes) {
  auto port = pool_->port_of(instance);
  if (!port) return port.error();
  return vm_->agent().invoke(instance, *port, path, body, timeout, log_bytes);
}

Result<Clock::duration> Deployment::plug_unused(const std::string& name) { return pool_->grant_unused(name); }

Result<InstanceEnd> Deployment::stop(const std::string& instance, Clock::duration grace) {
  return pool_->stop(instance, grace);
}

RetireReport Deployment::retire(const std::vector<std::string>& instances, const RetireOptions& options) {
  RetireReport report;
  {
    std::lock_guard lock(health_mutex_);
    if (failure_) {
      report.status = failure_->context("the VM failed");
      return report;
    }
  }
  std::vector<std::string> stopped;
  for (const std::string& name : instances) {
    auto end = pool_->stop(name, options.grace);
    if (!end) {
      add_failure(report.status, end.error().context("stop " + name));
      continue;
    }
    stopped.push_back(name);
    report.instances.push_back({name, *end});
  }
  if (stopped.empty()) return report;
  auto grants = pool_->take_stopped(stopped);
  if (!grants) {
    add_failure(report.status, grants.error());
    return report;
  }
  // Only an empty partition is unplugged as it is; the others after.
  std::vector<Grant> empty;
  std::vector<std::pair<Grant, DirtyPartition>> dirty;
  for (const Grant& grant : *grants) {
    auto retired = std::find_if(report.instances.begin(), report.instances.end(),
                                [&grant](const RetiredInstance& r) { return r.name == grant.instance; });
    auto found = check_empty(grant, retired->end, report);
    if (found) {
      dirty.emplace_back(grant, std::move(*found));
    } else {
      empty.push_back(grant);
    }
  }
  if (!empty.empty()) reclaim_measured(empty, options, report);
  for (auto& [grant, d] : dirty) {
    if (options.dirty == DirtyPolicy::kKeep) {
      if (Status s = mode_->set_aside(grant, d.reason); !s) {
        add_failure(report.status, s.error());
        continue;
      }
      {
        std::lock_guard lock(dirty_mutex_);
        kept_[grant.instance] = Kept{grant, d.bytes};
      }
      d.action = "kept";
      add_failure(report.status, Error(ErrorCode::kUnavailable,
                                       fmt::format("the partition of '{}' (node {}) is kept dirty: {}", grant.instance,
                                                   d.node, d.reason)));
    } else {
      const std::uint64_t migrated = report.migrated_pages;
      reclaim_measured({grant}, options, report);
      d.migrated_pages = report.migrated_pages - migrated;
      d.action = "migrated";
    }
    record(std::move(d), report);
  }
  return report;
}

std::optional<DirtyPartition> Deployment::check_empty(const Grant& grant, const InstanceEnd& end,
                                                      RetireReport& report) {
  if (!grant.node) return std::nullopt;  // unbound: no memory of its own to check
  if (end.left && end.left->used_bytes <= kEmptySlackBytes) return std::nullopt;
  DirtyPartition d;
  d.instance = grant.instance;
  d.node = *grant.node;
  d.partition = grant.partition;
  d.bytes = end.left ? end.left->used_bytes : 0;
  auto cleared = vm_->agent().clear_node(*grant.node, kClearTimeout);
  if (!cleared) {
    d.left_bytes = d.bytes;
    d.reason = "clearing the node failed: " + cleared.error().message();
    return d;
  }
  d.left_bytes = cleared->left.used_bytes;
  d.reason = what_held(*cleared);
  if (d.left_bytes > kEmptySlackBytes) return d;
  d.action = "cleared";
  record(std::move(d), report);
  return std::nullopt;
}

void Deployment::record(DirtyPartition dirty, RetireReport& report) {
  dirty.at_unix_ms = unix_ms_now();
  spdlog::warn("{}: the partition of '{}' (node {}) held {} when its instance had gone: {}: {}", spec_.vm.name,
               dirty.instance, dirty.node, mib(dirty.bytes), dirty.action, dirty.reason);
  report.dirty.push_back(dirty);
  std::lock_guard lock(dirty_mutex_);
  dirty_log_.push_back(std::move(dirty));
  while (dirty_log_.size() > kDirtyLogSize) dirty_log_.pop_front();
}

RetireReport Deployment::reclaim_emptied(const RetireOptions& options) {
  RetireReport report;
  std::map<std::string, Kept> kept;
  {
    std::lock_guard lock(dirty_mutex_);
    if (kept_.empty()) return report;
    kept.swap(kept_);  // this call's to decide on; the rest go back below
  }
  std::vector<Grant> emptied;
  std::vector<DirtyPartition> records;
  if (health()) {
    for (auto it = kept.begin(); it != kept.end();) {
      const Grant& grant = it->second.grant;
      auto cleared = vm_->agent().clear_node(*grant.node, kClearTimeout);
      if (!cleared || cleared->left.used_bytes > kEmptySlackBytes) {
        ++it;
        continue;
      }
      DirtyPartition d;
      d.instance = it->first;
      d.node = *grant.node;
      d.partition = grant.partition;
      d.bytes = it->second.bytes;
      d.left_bytes = cleared->left.used_bytes;
      d.reason = "what held it has gone: " + what_held(*cleared);
      d.action = "reclaimed";
      records.push_back(std::move(d));
      emptied.push_back(grant);
      it = kept.erase(it);
    }
  }
  {
    std::lock_guard lock(dirty_mutex_);
    kept_.merge(kept);
  }
  if (emptied.empty()) return report;
  reclaim_measured(emptied, options, report);
  for (DirtyPartition& d : records) {
    d.migrated_pages = report.migrated_pages;
    record(std::move(d), report);
  }
  return report;
}

std::size_t Deployment::dirty_partitions() {
  std::lock_guard lock(dirty_mutex_);
  return kept_.size();
}

void Deployment::reclaim_measured(const std::vector<Grant>& grants, const RetireOptions& options,
                                  RetireReport& report) {
  const pid_t qemu = vm_->vmm().pid();
  auto before = vm_->agent().memory_report();
  auto rss_before = vm_->vmm().rss_bytes();
  auto host_before = process_cpu_ms(qemu);
  auto preempted_before = vm_->vmm().vcpu_preemptions();
  auto reclaimed = mode_->reclaim(grants, options.reclaim_timeout);
  auto preempted_after = vm_->vmm().vcpu_preemptions();
  auto host_after = process_cpu_ms(qemu);
  auto after = vm_->agent().memory_report();
  auto rss_after = vm_->vmm().rss_bytes();

  if (!reclaimed) {
    add_failure(report.status, reclaimed.error());
    return;
  }
  const bool first = !report.reclaimed;
  report.reclaimed = true;
  report.bytes += reclaimed->bytes;
  report.latency += reclaimed->latency;
  report.device_latency += reclaimed->device_latency.value_or(reclaimed->latency);
  report.dated_by_event = reclaimed->dated_by_event && (first || report.dated_by_event);
  for (const Error* e : {before ? nullptr : &before.error(), after ? nullptr : &after.error(),
                         rss_before ? nullptr : &rss_before.error(), rss_after ? nullptr : &rss_after.error(),
                         host_before ? nullptr : &host_before.error(), host_after ? nullptr : &host_after.error()}) {
    if (e) add_failure(report.measured, *e);
  }
  std::uint64_t migrated_here = 0;
  if (before && after) {
    if (auto migrated = protocol::migrated_pages_between(*before, *after)) {
      migrated_here = *migrated;
      report.migrated_pages += *migrated;
    } else {
      add_failure(report.measured, migrated.error());
    }
    if (auto cpu = protocol::cpu_spent_between(*before, *after)) {
      report.guest_cpu_ms += cpu->ms;
      report.guest_cpu_ms_per_vcpu.resize(cpu->per_cpu_ms.size());
      for (std::size_t i = 0; i < cpu->per_cpu_ms.size(); ++i) report.guest_cpu_ms_per_vcpu[i] += cpu->per_cpu_ms[i];
    } else {
      add_failure(report.measured, cpu.error());
    }
  }
  if (rss_before && rss_after) {
    if (first) report.rss_before = *rss_before;
    report.rss_after = *rss_after;
  }
  if (host_before && host_after) report.host_cpu_ms += *host_after - *host_before;
  // Not every VMM tells (a fake does not): unknown, not a failed measurement.
  if (preempted_before && preempted_after) {
    report.vcpu_preemptions = report.vcpu_preemptions.value_or(0) + (*preempted_after - *preempted_before);
  }
  for (const auto& [instance, why] : reclaimed->fallbacks) {
    DirtyPartition d;
    d.instance = instance;
    auto grant = std::find_if(grants.begin(), grants.end(), [&](const Grant& g) { return g.instance == instance; });
    if (grant != grants.end() && grant->node) d.node = *grant->node;
    if (grant != grants.end()) d.partition = grant->partition;
    d.reason = why;
    d.action = "driver-unplug";
    d.migrated_pages = migrated_here;
    record(std::move(d), report);
  }
}

std::optional<std::string> Deployment::failure_reason(HealthCheck how) {
  vmm::Vmm& vmm = vm_->vmm();
  if (!vmm.alive()) return vmm.exit_description();
  std::optional<std::string> why;
  if (auto broken = vm_->agent().broken()) {
    why = "the agent broke the channel: " + *broken;
  } else if (how == HealthCheck::kProbe) {
    auto ping = vm_->agent().ping(kProbeTimeout);
    if (!ping) why = "the agent does not answer: " + ping.error().message();
  }
  // A QEMU that dies closes the channel too, maybe while it is being
  // probed: give it a moment to be reaped, so the reason says how it ended.
  if (why && poll_until([&vmm]() -> Result<bool> { return !vmm.alive(); }, std::chrono::seconds(1),
                        [] { return std::string("QEMU to exit"); })) {
    why = vmm.exit_description();
  }
  return why;
}

Status Deployment::health(HealthCheck how) {
  {
    std::lock_guard lock(health_mutex_);
    if (failure_) return *failure_;
  }
  auto why = failure_reason(how);
  if (!why) return ok_status();
  {
    std::lock_guard lock(health_mutex_);
    if (failure_) return *failure_;
    failure_ = Error(ErrorCode::kUnavailable, *why);
  }
  spdlog::error("{}: the VM failed: {}", spec_.vm.name, *why);
  // Whatever the guest does, QEMU ends and its memory goes back to the host.
  shutdown();
  return Error(ErrorCode::kUnavailable, *why);
}

nlohmann::json Deployment::describe() {
  vmm::Vmm& vmm = vm_->vmm();
  nlohmann::json vm{{"pid", vmm.pid()},
                    {"accel", vmm.accel()},
                    {"boot_ms", to_ms(vm_->boot_time())},
                    {"boot_memory_bytes", vm_->spec().base_bytes},
                    {"alive", vmm.alive()},
                    {"run_dir", vm_->spec().run_dir.string()},
                    {"console_log", vm_->console_log().string()}};
  {
    std::lock_guard lock(health_mutex_);
    vm["state"] = failure_ ? "failed" : "ready";
    if (failure_) vm["failure"] = failure_->message();
  }
  if (auto rss = vmm.rss_bytes()) vm["rss_bytes"] = *rss;
  nlohmann::json dirty = nlohmann::json::array();
  {
    std::lock_guard lock(dirty_mutex_);
    for (const DirtyPartition& d : dirty_log_) dirty.push_back(d.to_json());
  }
  return nlohmann::json{{"vm", std::move(vm)},
                        {"memory", mode_->describe()},
                        {"instances", pool_->describe()},
                        {"dirty_partitions", std::move(dirty)}};
}

void Deployment::shutdown() { vm_->vmm().shutdown(std::chrono::seconds(2)); }

Result<protocol::GuestMemoryReport> Deployment::memory_report() { return vm_->agent().memory_report(); }

Result<std::uint64_t> Deployment::rss_bytes() { return vm_->vmm().rss_bytes(); }

Result<vmm::CpuPlacement> Deployment::cpu_placement() { return vm_->vmm().cpu_placement(); }

Result<std::uint64_t> Deployment::held_bytes() { return mode_->held_bytes(); }

Result<std::vector<InstanceStatus>> Deployment::guest_instances() { return vm_->agent().list_instances(); }

Status Deployment::signal(const std::string& instance, const std::string& signal) {
  return vm_->agent().signal_instance(instance, signal);
}

}  // namespace hotmem::host

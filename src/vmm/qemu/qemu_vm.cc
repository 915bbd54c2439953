#include "vmm/qemu/qemu_vm.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/cpu_affinity.h"
#include "common/poll.h"
#include "common/proc_stats.h"
#include "common/socket.h"
#include "vmm/accel.h"
#include "vmm/qemu/command_line.h"

namespace hotmem::vmm::qemu {
namespace {

constexpr auto kQmpConnectTimeout = std::chrono::seconds(30);

std::filesystem::path qemu_log(const VmSpec& spec) { return spec.run_dir / "qemu.log"; }

constexpr const char* kInstallHint = "is qemu-system-x86 installed? ./scripts/setup installs it";

}  // namespace

Result<std::filesystem::path> qemu_binary() {
  auto found = find_program(kQemuProgram);
  if (!found) return found.error().context(fmt::format("QEMU ({})", kInstallHint));
  std::error_code ec;
  auto real = std::filesystem::canonical(*found, ec);
  if (ec) return Error(fmt::format("QEMU: cannot resolve {}: {}", found->string(), ec.message()));
  return real;
}

Result<std::unique_ptr<QemuVm>> QemuVm::launch(const VmSpec& spec) {
  Status valid = validate(spec);
  if (!valid) return valid.error();
  const QemuPaths paths = paths_for(spec);
  for (const auto& socket : {paths.qmp_socket, paths.agent_socket}) {
    if (Status fits = check_unix_socket_path(socket); !fits) {
      return Error(fmt::format("{}: choose a shorter VM name or runtime root ($HOTMEM_STATE_DIR)",
                               fits.error().message()));
    }
  }
  auto binary = qemu_binary();
  if (!binary) return binary.error();
  const Accel accel = resolve_accel(spec.accel);
  SpawnOptions options;
  options.argv = build_command_line(spec, accel, binary->string());
  options.output = qemu_log(spec);
  if (!spec.host_cgroup.empty()) {
    if (!std::filesystem::exists(spec.host_cgroup / "cgroup.procs")) {
      return Error(fmt::format("{} is not a cgroup directory", spec.host_cgroup.string()));
    }
    // In the child between fork and exec: only async-signal-safe calls.
    options.before_exec = [procs = (spec.host_cgroup / "cgroup.procs").string()] {
      const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::write(fd, "0\n", 2) != 2) ::_exit(126);
      ::close(fd);
    };
  }
  spdlog::debug("starting {}", fmt::join(options.argv, " "));
  auto process = ChildProcess::spawn(options);
  if (!process) {
    return process.error().context(fmt::format("start QEMU ({})", kInstallHint));
  }
  std::unique_ptr<QemuVm> vm(new QemuVm(spec, accel, std::move(*process)));
  auto qmp = QmpClient::connect(paths.qmp_socket, Deadline(kQmpConnectTimeout),
                                [&vm] { return vm->alive(); });
  if (!qmp) return vm->with_exit_reason(qmp.error().context("QEMU did not come up"));
  vm->qmp_ = std::move(*qmp);
  auto vcpus = vm->query_vcpu_threads();
  if (vcpus) {
    vm->vcpu_threads_ = std::move(*vcpus);
  } else {
    spdlog::debug("{}: no vCPU threads: {}", spec.name, vcpus.error().message());
  }
  if (spec.dedicated_vcpu_cores) {
    if (Status s = vm->place_threads(); !s) return vm->with_exit_reason(s.error().context("place QEMU's threads"));
  }
  return vm;
}

Result<std::vector<pid_t>> QemuVm::query_vcpu_threads() {
  auto cpus = qmp_->execute("query-cpus-fast");
  if (!cpus) return cpus.error();
  if (!cpus->is_array()) return Error("QMP query-cpus-fast: not a list");
  std::vector<std::pair<int, pid_t>> by_index;
  for (const json& cpu : *cpus) {
    const auto index = cpu.find("cpu-index");
    const auto thread = cpu.find("thread-id");
    if (!cpu.is_object() || index == cpu.end() || thread == cpu.end() || !index->is_number_integer() ||
        !thread->is_number_integer() || thread->get<std::int64_t>() <= 0) {
      return Error("QMP query-cpus-fast: a vCPU without a cpu-index and thread-id");
    }
    by_index.emplace_back(index->get<int>(), thread->get<pid_t>());
  }
  std::sort(by_index.begin(), by_index.end());
  std::vector<pid_t> threads;
  for (const auto& [index, thread] : by_index) threads.push_back(thread);
  return threads;
}

Status QemuVm::place_threads() {
  auto allowed = allowed_cpus();
  if (!allowed) return allowed.error();
  const auto split = split_cores(*allowed, spec_.vcpus);
  if (!split) {
    spdlog::info("{}: {} vCPU(s) and {} host core(s): no core to spare, QEMU's threads are not placed", spec_.name,
                 spec_.vcpus, allowed->size());
    return ok_status();
  }
  const std::vector<pid_t>& vcpus = vcpu_threads_;
  if (vcpus.size() != static_cast<std::size_t>(spec_.vcpus)) {
    return Error(fmt::format("QEMU told {} vCPU threads, the VM has {} vCPUs", vcpus.size(), spec_.vcpus));
  }
  auto threads = thread_ids(pid());
  if (!threads) return threads.error();
  for (pid_t tid : *threads) {
    if (std::find(vcpus.begin(), vcpus.end(), tid) != vcpus.end()) continue;
    Status s = set_allowed_cpus(tid, split->other_cores);
    // A thread that ended since the listing is no matter.
    if (!s && std::filesystem::exists(fmt::format("/proc/{}/task/{}", pid(), tid))) return s;
  }
  for (std::size_t i = 0; i < vcpus.size(); ++i) {
    if (Status s = set_allowed_cpus(vcpus[i], {split->vcpu_cores[i]}); !s) return s;
  }
  spdlog::debug("{}: vCPU threads on cores {}, QEMU's others on {}", spec_.name, format_cpu_list(split->vcpu_cores),
                format_cpu_list(split->other_cores));
  return ok_status();
}

Result<std::uint64_t> QemuVm::vcpu_preemptions() {
  if (vcpu_threads_.empty()) return Error("QEMU did not tell its vCPU threads");
  std::uint64_t total = 0;
  for (pid_t tid : vcpu_threads_) {
    auto n = thread_preemptions(pid(), tid);
    if (!n) return n.error();
    total += *n;
  }
  return total;
}

Result<CpuPlacement> QemuVm::cpu_placement() {
  if (vcpu_threads_.empty()) return Error("QEMU did not tell its vCPU threads");
  const std::vector<pid_t>& vcpus = vcpu_threads_;
  auto threads = thread_ids(pid());
  if (!threads) return threads.error();
  std::set<int> vcpu_cores, other_cores;
  for (pid_t tid : *threads) {
    auto cpus = allowed_cpus(tid);
    if (!cpus) continue;  // ended since the listing
    auto& into = std::find(vcpus.begin(), vcpus.end(), tid) != vcpus.end() ? vcpu_cores : other_cores;
    into.insert(cpus->begin(), cpus->end());
  }
  return CpuPlacement{.vcpu_cores = {vcpu_cores.begin(), vcpu_cores.end()},
                      .other_cores = {other_cores.begin(), other_cores.end()}};
}

QemuVm::~QemuVm() { shutdown(std::chrono::seconds(2)); }

bool QemuVm::alive() {
  std::lock_guard lock(process_mutex_);
  return process_.running();
}

std::string QemuVm::exit_description() {
  std::lock_guard lock(process_mutex_);
  if (process_.running()) return "running";
  return fmt::format("QEMU {}", describe_wait_status(process_.wait_status().value_or(0)));
}

Error QemuVm::with_exit_reason(const Error& e) {
  if (alive()) return e;
  std::string log = tail_of_file(qemu_log(spec_), 1500);
  return Error(fmt::format("{} ({}){}{}", e.message(), exit_description(), log.empty() ? "" : "; its log ends:\n",
                           log));
}

std::filesystem::path QemuVm::agent_socket() const { return paths_for(spec_).agent_socket; }

Result<const MemoryDeviceSpec*> QemuVm::find_device(const std::string& id) const {
  for (const MemoryDeviceSpec& d : spec_.memory_devices) {
    if (d.id == id) return &d;
  }
  return Error(fmt::format("this VM has no memory device '{}'", id));
}

Result<std::uint64_t> QemuVm::read_u64_property(const std::string& id, const char* property) {
  auto value = qmp_->execute("qom-get", {{"path", "/machine/peripheral/" + id}, {"property", property}});
  if (!value) return with_exit_reason(value.error());
  if (!value->is_number_unsigned()) return Error(fmt::format("QMP: {}.{} is not a size", id, property));
  return value->get<std::uint64_t>();
}

Result<MemoryDeviceState> QemuVm::memory_device(const std::string& id) {
  auto spec = find_device(id);
  if (!spec) return spec.error();
  auto requested = read_u64_property(id, "requested-size");
  if (!requested) return requested.error();
  auto size = read_u64_property(id, "size");
  if (!size) return size.error();
  return MemoryDeviceState{id, (*spec)->node, (*spec)->max_bytes, *requested, *size};
}

Status QemuVm::request_memory_device_size(const std::string& id, std::uint64_t bytes) {
  auto spec = find_device(id);
  if (!spec) return spec.error();
  if (bytes > (*spec)->max_bytes) {
    return Error(fmt::format("{} exceeds the maximum of device {} ({}): choose at most that, or boot with a larger "
                             "device",
                             format_size(bytes), id, format_size((*spec)->max_bytes)));
  }
  if (bytes % kVirtioMemBlock != 0) {
    return Error(fmt::format("{} is not a multiple of the device block ({})", format_size(bytes),
                             format_size(kVirtioMemBlock)));
  }
  {
    std::lock_guard lock(size_changes_mutex_);
    size_changes_.requested(id, std::chrono::system_clock::now());
  }
  auto r = qmp_->execute("qom-set", {{"path", "/machine/peripheral/" + id},
                                     {"property", "requested-size"},
                                     {"value", bytes}});
  if (!r) return with_exit_reason(r.error());
  return ok_status();
}

std::optional<Clock::time_point> QemuVm::size_changed_at(const std::string& id,
                                                         const std::function<bool(std::uint64_t)>& done,
                                                         const Deadline& deadline) {
  constexpr auto kSlice = std::chrono::milliseconds(20);  // other threads' QMP commands wait at most this
  for (;;) {
    {
      std::lock_guard lock(size_changes_mutex_);
      for (const QmpEvent& e : qmp_->take_events()) size_changes_.add(e);
      if (auto at = size_changes_.take_first(id, done)) {
        // Both clocks read now: the change's age on the real-time clock,
        // set back from now on ours.
        return std::chrono::time_point_cast<Clock::duration>(Clock::now() -
                                                             (std::chrono::system_clock::now() - *at));
      }
    }
    if (deadline.expired()) return std::nullopt;
    if (Status s = qmp_->read_events(Deadline(std::min<Clock::duration>(kSlice, deadline.remaining()))); !s) {
      return std::nullopt;
    }
  }
}

Result<SizeReached> QemuVm::wait_memory_device(const std::string& id,
                                               const std::function<bool(std::uint64_t)>& done,
                                               Clock::duration timeout, std::uint64_t goal) {
  std::uint64_t size = 0;
  auto polled = poll_until(
      [&]() -> Result<bool> {
        auto s = read_u64_property(id, "size");
        if (!s) return s.error();
        if (*s != size) spdlog::debug("device {}: {} (poll)", id, format_size(*s));
        size = *s;
        return done(size);
      },
      timeout,
      [&] {
        return fmt::format("device {} holds {}, target {}: the guest did not {} in time", id, format_size(size),
                           format_size(goal), size < goal ? "plug" : "unplug");
      });
  if (!polled) return polled.error();
  const auto seen = Clock::now();
  // The poll saw the change up to one poll interval late (1-10 ms, and a
  // QMP round trip); QEMU's event dates it to the microsecond.
  const auto changed = size_changed_at(id, done, Deadline(spec_.size_event_wait));
  if (!changed) {
    spdlog::debug("device {}: no size-change event; timed by the poll", id);
    return SizeReached{seen, false};
  }
  spdlog::debug("device {}: the size changed {:.2f} ms before the poll saw it", id, to_ms(seen - *changed));
  return SizeReached{std::min(*changed, seen), true};
}

Status QemuVm::request_balloon_target(std::uint64_t bytes) {
  if (!spec_.balloon) return Vmm::request_balloon_target(bytes);
  auto r = qmp_->execute("balloon", {{"value", bytes}});
  if (!r) return with_exit_reason(r.error());
  return ok_status();
}

Result<std::uint64_t> QemuVm::balloon_actual() {
  if (!spec_.balloon) return Vmm::balloon_actual();
  auto r = qmp_->execute("query-balloon");
  if (!r) return with_exit_reason(r.error());
  if (!r->is_object() || !r->contains("actual") || !(*r)["actual"].is_number_unsigned()) {
    return Error("QMP query-balloon: no 'actual' size");
  }
  return (*r)["actual"].get<std::uint64_t>();
}

Result<std::uint64_t> QemuVm::rss_bytes() {
  std::lock_guard lock(process_mutex_);
  // Once reaped, the pid may be someone else's.
  if (!process_.running()) return Error("QEMU is not running (" + exit_description() + ")");
  return process_rss_bytes(process_.pid());
}

void QemuVm::shutdown(Clock::duration grace) {
  std::lock_guard lock(process_mutex_);
  if (!process_.running()) return;
  if (qmp_) {
    // "quit" ends QEMU at once; the guest holds nothing that needs flushing.
    (void)qmp_->execute("quit", json::object(), std::chrono::seconds(2));
  }
  if (process_.wait_for(grace)) return;
  process_.terminate(std::chrono::seconds(1));
}

}  // namespace hotmem::vmm::qemu

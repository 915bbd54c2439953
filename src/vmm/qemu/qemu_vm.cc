#include "vmm/qemu/qemu_vm.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/proc_stats.h"
#include "vmm/accel.h"
#include "vmm/qemu/command_line.h"

namespace hotmem::vmm::qemu {
namespace {

constexpr auto kQmpConnectTimeout = std::chrono::seconds(30);
constexpr auto kMinPollInterval = std::chrono::microseconds(1000);
constexpr auto kMaxPollInterval = std::chrono::milliseconds(10);

std::filesystem::path qemu_log(const VmSpec& spec) { return spec.run_dir / "qemu.log"; }

}  // namespace

Result<std::unique_ptr<QemuVm>> QemuVm::launch(const VmSpec& spec) {
  Status valid = validate(spec);
  if (!valid) return valid.error();
  const Accel accel = resolve_accel(spec.accel);
  SpawnOptions options;
  options.argv = build_command_line(spec, accel);
  options.output = qemu_log(spec);
  spdlog::debug("starting {}", fmt::join(options.argv, " "));
  auto process = ChildProcess::spawn(options);
  if (!process) {
    return process.error().context("start QEMU (is qemu-system-x86 installed? ./scripts/setup installs it)");
  }
  std::unique_ptr<QemuVm> vm(new QemuVm(spec, accel, std::move(*process)));
  auto qmp = QmpClient::connect(paths_for(spec).qmp_socket, Deadline(kQmpConnectTimeout),
                                [&vm] { return vm->process_.running(); });
  if (!qmp) return vm->with_exit_reason(qmp.error().context("QEMU did not come up"));
  vm->qmp_ = std::move(*qmp);
  return vm;
}

QemuVm::~QemuVm() { shutdown(std::chrono::seconds(2)); }

std::string QemuVm::exit_description() {
  if (process_.running()) return "running";
  return fmt::format("QEMU {}", describe_wait_status(process_.wait_status().value_or(0)));
}

Error QemuVm::with_exit_reason(const Error& e) {
  if (process_.running()) return e;
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
  auto r = qmp_->execute("qom-set", {{"path", "/machine/peripheral/" + id},
                                     {"property", "requested-size"},
                                     {"value", bytes}});
  if (!r) return with_exit_reason(r.error());
  return ok_status();
}

Result<Clock::duration> QemuVm::wait_memory_device(const std::string& id,
                                                   const std::function<bool(std::uint64_t)>& done,
                                                   Clock::duration timeout, std::uint64_t goal) {
  const auto start = Clock::now();
  Deadline deadline(timeout);
  std::uint64_t size = 0;
  for (;;) {
    auto s = read_u64_property(id, "size");
    if (!s) return s.error();
    size = *s;
    if (done(size)) return Clock::now() - start;
    if (deadline.expired()) break;
    // Every poll is a QMP round trip that takes QEMU's big lock, which the
    // guest's vCPUs need too: poll often while the answer matters to the
    // millisecond, and back off as the wait grows (the error stays ~10%).
    const auto waited = Clock::now() - start;
    std::this_thread::sleep_for(std::clamp<Clock::duration>(waited / 10, kMinPollInterval, kMaxPollInterval));
  }
  return Error(fmt::format("device {} holds {} after {:.0f} ms, target {}: the guest did not {} in time", id,
                           format_size(size), to_ms(timeout), format_size(goal), size < goal ? "plug" : "unplug"));
}

Result<std::uint64_t> QemuVm::rss_bytes() { return process_rss_bytes(process_.pid()); }

void QemuVm::shutdown(Clock::duration grace) {
  if (!process_.running()) return;
  if (qmp_) {
    // "quit" ends QEMU at once; the guest holds nothing that needs flushing.
    (void)qmp_->execute("quit", json::object(), std::chrono::seconds(2));
  }
  if (process_.wait_for(grace)) return;
  process_.terminate(std::chrono::seconds(1));
}

}  // namespace hotmem::vmm::qemu

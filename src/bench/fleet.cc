#include "bench/fleet.h"

#include <algorithm>

#include <fmt/format.h>

#include "host/guest_workloads.h"

namespace hotmem::bench {

namespace {

constexpr host::RetireOptions kRetire{.grace = std::chrono::seconds(30)};

}  // namespace

Status validate_partitions(int count, const WorkloadShape& w, std::string_view count_option) {
  if (count < 1 || count > 64) return Error(fmt::format("{} must be 1-64", count_option));
  if (w.instance_mib % 128 != 0 || w.instance_mib == 0) {
    return Error("--instance-mib must be a multiple of 128 (one partition per instance, in whole memory blocks)");
  }
  if (w.instance_mib <= w.headroom_mib + w.file_mib) return Error("--instance-mib leaves no room for the workload");
  return ok_status();
}

Status validate_layout(int instances, const WorkloadShape& w, const std::vector<std::uint64_t>& sizes_mib,
                       const std::string& option) {
  if (Status s = validate_partitions(instances, w, "--instances"); !s) return s;
  if (sizes_mib.empty()) return Error(fmt::format("no {} given", option));
  for (std::uint64_t size : sizes_mib) {
    if (size == 0 || size % w.instance_mib != 0) {
      return Error(fmt::format("{} {} must be a whole number of instances ({} MiB each)", option, size, w.instance_mib));
    }
    if (size / w.instance_mib > static_cast<std::uint64_t>(instances)) {
      return Error(fmt::format("{} {} needs {} instances; the VM holds {} (raise --instances)", option, size,
                               size / w.instance_mib, instances));
    }
  }
  return ok_status();
}

Status Fleet::grow_to(std::size_t count, std::vector<host::StartedInstance>* started_out) {
  while (running_.size() < count) {
    host::InstanceRequest r;
    r.program.name = fmt::format("inst-{}", next_++);
    r.program.argv = host::touch_argv(shape_.anon_mib(), shape_.file_mib, static_cast<std::uint64_t>(next_),
                                      on_stop_ == OnStop::kVerify);
    r.program.scratch_bytes = (shape_.file_mib + 16) * kMiB;
    auto started = d_.start(r);
    if (!started) return started.error().context("start " + r.program.name);
    running_.push_back(r.program.name);
    if (started_out) started_out->push_back(*started);
  }
  return ok_status();
}

std::vector<std::string> Fleet::pick(std::size_t count) const {
  std::vector<std::string> victims;
  const std::size_t n = running_.size();
  for (std::size_t i = 0; i < count; ++i) victims.push_back(running_[i * n / count]);
  return victims;
}

Result<std::vector<std::string>> Fleet::stop(std::size_t count) {
  if (count > running_.size()) return Error(fmt::format("cannot stop {} of {} instances", count, running_.size()));
  const std::vector<std::string> victims = pick(count);
  for (const std::string& name : victims) {
    auto s = d_.stop(name, kRetire.grace);
    if (!s) return s.error().context("stop " + name);
    running_.erase(std::find(running_.begin(), running_.end(), name));
  }
  return victims;
}

Result<host::RetireReport> Fleet::retire(std::size_t count) {
  if (count > running_.size()) return Error(fmt::format("cannot retire {} of {} instances", count, running_.size()));
  const std::vector<std::string> victims = pick(count);
  for (const std::string& name : victims) running_.erase(std::find(running_.begin(), running_.end(), name));
  host::RetireReport report = d_.retire(victims, kRetire);
  if (!report.status) return report.status.error();
  return report;
}

Status Fleet::shrink_to(std::size_t count) {
  if (running_.size() <= count) return ok_status();
  auto retired = retire(running_.size() - count);
  if (!retired) return retired.error();
  return ok_status();
}

Result<ReclaimSample> sample_of(const host::RetireReport& report) {
  if (!report.status) return report.status.error();
  if (!report.measured) return report.measured.error();
  ReclaimSample s;
  s.reclaim_ms = to_ms(report.latency);
  s.device_ms = to_ms(report.device_latency);
  s.dated_by_event = report.dated_by_event;
  s.reclaimed_bytes = report.bytes;
  s.migrated_pages = report.migrated_pages;
  s.rss_released_mib = report.rss_released_mib();
  s.guest_cpu_ms = report.guest_cpu_ms;
  s.guest_cpu_ms_per_vcpu = report.guest_cpu_ms_per_vcpu;
  s.host_cpu_ms = report.host_cpu_ms;
  s.vcpu_preemptions = report.vcpu_preemptions;
  return s;
}

Result<ReclaimSample> measure_reclaim(Fleet& fleet, std::size_t victims) {
  auto report = fleet.retire(victims);
  if (!report) return report.error();
  return sample_of(*report);
}

Result<ReclaimSample> measure_reclaim(host::Deployment& d, const std::vector<std::string>& stopped) {
  return sample_of(d.retire(stopped, kRetire));
}

}  // namespace hotmem::bench

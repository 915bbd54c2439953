#include "bench/fleet.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/proc_stats.h"
#include "host/guest_workloads.h"

namespace hotmem::bench {

Status Fleet::grow_to(std::size_t count) {
  while (running_.size() < count) {
    host::InstanceRequest r;
    r.name = fmt::format("inst-{}", next_++);
    r.argv = host::touch_argv(shape_.anon_mib(), shape_.file_mib, static_cast<std::uint64_t>(next_));
    r.scratch_bytes = (shape_.file_mib + 16) * kMiB;
    auto started = d_.pool().start(r);
    if (!started) return started.error().context("start " + r.name);
    running_.push_back(r.name);
  }
  return ok_status();
}

Result<std::vector<host::StoppedInstance>> Fleet::stop(std::size_t count) {
  std::vector<std::string> victims;
  const std::size_t n = running_.size();
  if (count > n) return Error(fmt::format("cannot stop {} of {} instances", count, n));
  for (std::size_t i = 0; i < count; ++i) victims.push_back(running_[i * n / count]);
  std::vector<host::StoppedInstance> stopped;
  for (const std::string& name : victims) {
    auto s = d_.pool().stop(name, std::chrono::seconds(30));
    if (!s) return s.error().context("stop " + name);
    stopped.push_back(*s);
    running_.erase(std::find(running_.begin(), running_.end(), name));
  }
  return stopped;
}

Status Fleet::shrink_to(std::size_t count) {
  if (running_.size() <= count) return ok_status();
  auto stopped = stop(running_.size() - count);
  if (!stopped) return stopped.error();
  auto back = d_.pool().reclaim(*stopped);
  if (!back) return back.error();
  return ok_status();
}

Result<ReclaimSample> measure_reclaim(host::Deployment& d, Fleet& fleet, std::size_t victims) {
  auto stopped = fleet.stop(victims);
  if (!stopped) return stopped.error();
  return measure_reclaim(d, *stopped);
}

Result<ReclaimSample> measure_reclaim(host::Deployment& d, const std::vector<host::StoppedInstance>& stopped) {
  const pid_t qemu = d.vm().vmm().pid();
  auto before = d.vm().agent().memory_report();
  if (!before) return before.error();
  auto rss_before = d.vm().vmm().rss_bytes();
  if (!rss_before) return rss_before.error();
  auto host_before = process_cpu_ms(qemu);
  if (!host_before) return host_before.error();
  auto reclaimed = d.pool().reclaim(stopped);
  if (!reclaimed) return reclaimed.error();
  auto host_after = process_cpu_ms(qemu);
  if (!host_after) return host_after.error();
  auto after = d.vm().agent().memory_report();
  if (!after) return after.error();
  auto rss_after = d.vm().vmm().rss_bytes();
  if (!rss_after) return rss_after.error();
  ReclaimSample s;
  s.reclaim_ms = to_ms(reclaimed->latency);
  s.reclaimed_bytes = reclaimed->bytes;
  auto migrated = protocol::migrated_pages_between(*before, *after);
  if (!migrated) return migrated.error();
  s.migrated_pages = *migrated;
  s.rss_released_mib = to_mib(*rss_before) - to_mib(*rss_after);
  s.guest_cpu_ms = static_cast<double>(after->cpu.busy_ticks - before->cpu.busy_ticks) * protocol::kMsPerTick;
  for (std::size_t i = 0; i < after->cpu.busy_per_cpu.size() && i < before->cpu.busy_per_cpu.size(); ++i) {
    s.guest_cpu_ms_per_vcpu.push_back(
        static_cast<double>(after->cpu.busy_per_cpu[i] - before->cpu.busy_per_cpu[i]) * protocol::kMsPerTick);
  }
  s.host_cpu_ms = *host_after - *host_before;
  return s;
}

}  // namespace hotmem::bench

#include "host/guest_workloads.h"

#include <thread>

#include <fmt/format.h>

namespace hotmem::host {

std::vector<std::string> touch_argv(std::uint64_t mib, std::uint64_t file_mib, std::uint64_t seed, bool verify) {
  return {"/sbin/hotmem-agent", "workload", "touch",  "--mib", std::to_string(mib), "--file-mib",
          std::to_string(file_mib), "--seed", std::to_string(seed), "--verify", verify ? "1" : "0"};
}

std::vector<std::string> action_argv(std::uint64_t hold_mib) {
  return {"/sbin/hotmem-agent", "workload", "action", "--mib", std::to_string(hold_mib)};
}

protocol::InstanceStart touch_workload(const std::string& name, std::uint64_t mib, std::optional<int> node,
                                       std::uint64_t seed) {
  protocol::InstanceStart start;
  start.program.name = name;
  start.program.argv = touch_argv(mib, 0, seed);
  start.node = node;
  start.wait_ready = true;
  return start;
}

Result<protocol::GuestMemoryReport> wait_for_guest_memory(
    AgentClient& agent, const std::function<bool(const protocol::GuestMemoryReport&)>& done,
    Clock::duration timeout, std::string_view what, PollInterval interval) {
  Deadline deadline(timeout);
  Clock::duration wait = interval.first;
  for (;;) {
    auto report = agent.memory_report();
    if (!report) return report.error();
    if (done(*report)) return report;
    if (deadline.expired()) {
      return Error(fmt::format("the guest did not reach '{}' within {:.0f} ms", what, to_ms(timeout)));
    }
    std::this_thread::sleep_for(wait);
    wait = std::min<Clock::duration>(wait * 2, std::max(interval.first, interval.most));
  }
}

}  // namespace hotmem::host

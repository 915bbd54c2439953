// Instances built into the guest image, and waiting on what the guest reports.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "host/agent_client.h"

namespace hotmem::host {

// The agent's "touch" workload: holds `mib` MiB of written anonymous memory
// and `file_mib` MiB in a tmpfs file until stopped; exits 0 on SIGTERM if
// its memory is intact (with `verify`; without, at once).
std::vector<std::string> touch_argv(std::uint64_t mib, std::uint64_t file_mib = 0, std::uint64_t seed = 1,
                                    bool verify = true);

// The agent's native OpenWhisk action server (serves on $PORT), holding
// `hold_mib` MiB while it runs.
std::vector<std::string> action_argv(std::uint64_t hold_mib = 0);

// The touch workload as a direct instance_start, bound to `node` when given.
protocol::InstanceStart touch_workload(const std::string& name, std::uint64_t mib, std::optional<int> node,
                              std::uint64_t seed = 1);

// How often to poll: `first` after the first look, each wait then twice
// the last, up to `most`.
struct PollInterval {
  Clock::duration first = std::chrono::milliseconds(20);
  Clock::duration most = std::chrono::milliseconds(20);
};

// Polls the guest's memory report until `done` holds or the timeout passes.
Result<protocol::GuestMemoryReport> wait_for_guest_memory(
    AgentClient& agent, const std::function<bool(const protocol::GuestMemoryReport&)>& done,
    Clock::duration timeout, std::string_view what, PollInterval interval = {});

}  // namespace hotmem::host

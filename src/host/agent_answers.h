// What the guest agent answers to the host's calls, checked. The answers come
// from an untrusted guest: every parser bounds what it accepts, and a
// malformed answer is an Error naming the field. Pure functions, no I/O
// (AgentClient does the talking).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"

namespace hotmem::host {

using nlohmann::json;

struct AgentInfo {
  std::string agent_version;
  std::string kernel;
  std::uint64_t uptime_ms = 0;
  std::string cmdline;
};

// How an instance ended, and what it left on its node after the agent
// removed its scratch and cgroup.
struct InstanceEnd {
  std::string exit;  // "exited with status 0", "killed by signal 9 (Killed)"
  bool oom_killed = false;
  std::optional<int> node;
  std::uint64_t node_used_bytes = 0;
  std::uint64_t node_anon_bytes = 0;
  std::uint64_t node_file_bytes = 0;
  std::uint64_t node_shmem_bytes = 0;
  std::string cleanup_error;
};

struct InstanceStatus {
  std::string name;
  std::int64_t pid = 0;
  std::string state;  // preparing, starting, running, stopping, ended, exited
  std::string exit;
  std::uint64_t reports = 0;  // report lines it has written on its status pipe
  std::string report;         // the newest one
};

// An instance's answer to an invocation, as the agent carried it back: the
// HTTP status and the body, still untrusted.
struct ActionAnswer {
  int status = 0;
  std::string body;
  Clock::duration elapsed{};  // in the guest, from connecting to the answer
};

// The body of the answer to ping.
Result<AgentInfo> parse_agent_info(const json& body);
// ... to instance_stop.
Result<InstanceEnd> parse_instance_end(const json& body);
// ... to instance_list.
Result<std::vector<InstanceStatus>> parse_instance_list(const json& body);
// ... to invoke.
Result<ActionAnswer> parse_action_answer(const json& body);

}  // namespace hotmem::host

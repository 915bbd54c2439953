// What it takes to start an instance, and what a started one is. Shared by
// the instance pool (host-internal), the deployment that fronts it and the
// action runtimes that make requests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/size.h"
#include "host/memory_mode.h"
#include "protocol/agent_calls.h"

namespace hotmem::host {

// An instance that serves OpenWhisk actions: it gets a loopback port of its
// own ($PORT in its environment) and, when `init` is set, that body is
// POSTed to its /init before its start counts as done.
struct ActionServing {
  std::optional<std::string> init;
};

struct InstanceRequest {
  // What to run (name, argv, env, root, scratch), as the agent gets it; the
  // pool adds the sandbox (node, memory.max) from the instance's grant.
  protocol::InstanceProgram program;
  Clock::duration ready_timeout = std::chrono::seconds(120);
  // More guest files to read into node 0 before the first instance that
  // names them (e.g. image::rootfs_preload_paths()).
  std::vector<std::string> preload;
  std::optional<ActionServing> actions;
};

struct StartedInstance {
  std::string name;
  std::int64_t pid = 0;
  int port = 0;  // its action server's, when it serves actions
  Grant grant;
  Clock::duration plug_latency{};   // the mode's grant, as the VMM reported it
  Clock::duration start_latency{};  // from asking to the instance being ready
  // Its /init (Deployment::start), from sending it to the answer; zero when
  // it took none. Not part of start_latency.
  Clock::duration init_latency{};
};

}  // namespace hotmem::host

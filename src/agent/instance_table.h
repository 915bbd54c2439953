// The agent's function instances: processes it starts on request, bound to
// a guest NUMA node, tracked until the host has heard how they ended.
//
// Everything here is non-blocking: the agent's event loop calls poll_fds()/
// on_poll() for readiness pipes, on_child_exit() when it reaps a child and
// tick() for deadlines, and replies reach the host through `reply` (possibly
// much later than the request that asked for them).
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/process.h"
#include "common/unique_fd.h"
#include "protocol/messages.h"

namespace hotmem::agent {

using nlohmann::json;

struct InstanceSpec {
  std::string name;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::optional<int> node;  // bind all its memory to this guest node
};

// Reads and validates an instance_start request body.
Result<InstanceSpec> parse_instance_spec(const json& body);

class InstanceTable {
 public:
  using Reply = std::function<void(protocol::Response)>;
  static constexpr std::size_t kMaxInstances = 256;

  explicit InstanceTable(Reply reply) : reply_(std::move(reply)) {}

  // Starts an instance; replies once it signals readiness on fd 3 (if
  // `wait_ready`) or at once, or with an error if it ends first.
  void start(std::uint64_t request_id, InstanceSpec spec, bool wait_ready, Clock::duration ready_timeout);
  // SIGTERM, then SIGKILL after `grace`; replies once it has been reaped.
  void stop(std::uint64_t request_id, const std::string& name, Clock::duration grace);
  json list() const;

  void poll_fds(std::vector<pollfd>& fds) const;
  void on_poll(const std::vector<pollfd>& fds);
  // Returns false when `pid` is not one of ours.
  bool on_child_exit(pid_t pid, int status);
  void tick();
  // Until the next deadline (for poll's timeout).
  Clock::duration until_next_deadline() const;

 private:
  struct Instance {
    InstanceSpec spec;
    ChildProcess process;
    UniqueFd ready_fd;
    bool ready = false;
    std::optional<int> wait_status;
    std::optional<std::uint64_t> start_request;
    std::optional<Clock::time_point> ready_deadline;
    std::optional<std::uint64_t> stop_request;
    std::optional<Clock::time_point> kill_at;
  };

  void reply_error(std::uint64_t id, std::string message);
  void reply_ok(std::uint64_t id, json body);
  void mark_ready(Instance& instance);
  // Answers whoever waits on an ended instance; removes it once stopped.
  void settle(std::map<std::string, Instance>::iterator it);

  Reply reply_;
  std::map<std::string, Instance> instances_;
};

}  // namespace hotmem::agent

// The agent's function instances: processes it starts on request, each in
// its sandbox (cgroup bound to its partition's node, private scratch),
// tracked until the host has heard how they ended.
//
// Life of an instance: preparing (sandbox made; waiting for its node's
// memory to be plugged) -> starting (exec'd; waiting for it to report ready
// on fd 3) -> running -> [stopping] -> ended (reaped, every process of its
// cgroup gone) -> cleaned (scratch and cgroup removed; what remains on its
// node measured). The record stays until a stop request collects it.
//
// Its stdout and stderr are pipes the agent drains into its ActionLog,
// which an invocation of it takes its logs from.
//
// fd 3 is the instance's status pipe: its first line says "ready"; each
// later line is a report (e.g. latency samples), of which the agent keeps
// the newest for the host to read.
//
// Everything here is non-blocking: the agent's event loop calls poll_fds()/
// on_poll() for readiness pipes, on_child_exit() when it reaps a child and
// tick() for deadlines; replies reach the host through `reply`, possibly much
// later than the request that asked for them.
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/action_log.h"
#include "agent/sandbox.h"
#include "common/clock.h"
#include "common/process.h"
#include "common/unique_fd.h"
#include "protocol/agent_calls.h"
#include "protocol/messages.h"

namespace hotmem::agent {

class InstanceTable {
 public:
  using Reply = std::function<void(protocol::Response)>;
  static constexpr std::size_t kMaxInstances = 256;
  static constexpr std::size_t kMaxReportBytes = 256 * 1024;

  explicit InstanceTable(Reply reply);

  // Replies with the pid once the instance runs (and, if asked, is ready),
  // or with an error if it cannot start or ends first.
  void start(std::uint64_t request_id, protocol::InstanceStart start);
  // SIGTERM to its cgroup, then SIGKILL after `grace`; replies once it has
  // ended and its sandbox is cleaned up, with what was left on its node.
  void stop(std::uint64_t request_id, const std::string& name, Clock::duration grace);
  // Sends SIGUSR1 or SIGUSR2 to the instance's main process.
  Status signal(const std::string& name, int signo);
  protocol::InstanceListing list() const;
  bool running(const std::string& name) const;
  // What the instance writes on stdout and stderr; null when there is no
  // such instance or it has not been started.
  std::shared_ptr<ActionLog> log(const std::string& name) const;

  void poll_fds(std::vector<pollfd>& fds) const;
  void on_poll(const std::vector<pollfd>& fds);
  // Returns false when `pid` is not one of ours.
  bool on_child_exit(pid_t pid, int status);
  void tick();
  // Until the next deadline or check (for poll's timeout).
  Clock::duration until_next_deadline() const;

 private:
  enum class State { kPreparing, kStarting, kRunning, kEnded, kCleaned };

  struct Instance {
    protocol::InstanceStart start;
    State state = State::kPreparing;
    std::optional<Sandbox> sandbox;
    std::optional<ChildProcess> process;
    UniqueFd status_fd;
    std::shared_ptr<ActionLog> log;  // once spawned
    std::string status_buffer;  // an incomplete line
    std::string report;         // the newest complete report line
    std::uint64_t reports = 0;
    std::optional<int> wait_status;
    // How it ended and what it left behind: filled in as it ends and is
    // cleaned, the answer to its stop.
    protocol::InstanceEnd end;
    bool start_failed = false;  // the host got an error and will not collect it
    std::optional<std::uint64_t> start_request;
    Clock::time_point deadline;  // for the phase it is in
    std::optional<std::uint64_t> stop_request;
    std::optional<Clock::time_point> kill_at;
  };
  using Iterator = std::map<std::string, Instance>::iterator;

  void reply_error(std::uint64_t id, std::string message);
  void spawn(Instance& instance);
  void mark_ready(Instance& instance);
  void read_status(Instance& instance);
  void fail_start(Instance& instance, const std::string& why);
  void finish(Instance& instance);
  // Answers whoever waits on an instance that has been cleaned; removes it
  // once its stop was asked for.
  void settle(Iterator it);
  protocol::InstanceStatus describe(const Instance& instance) const;

  Reply reply_;
  UniqueFd console_;  // where a starting instance's stderr is echoed (may be invalid)
  std::map<std::string, Instance> instances_;
};

}  // namespace hotmem::agent

// Activations the agent carries from the host to its instances: an HTTP POST
// (the OpenWhisk action protocol, /init or /run) to an instance listening on
// the guest's loopback. Non-blocking, driven by the agent's poll loop like
// the instance table, so a slow or silent instance never stalls the agent;
// each exchange has a deadline.
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/action_log.h"
#include "common/clock.h"
#include "common/unique_fd.h"
#include "protocol/agent_calls.h"
#include "protocol/http_message.h"
#include "protocol/messages.h"

namespace hotmem::agent {

class Invocations {
 public:
  using Reply = std::function<void(protocol::Response)>;
  static constexpr std::size_t kMaxInFlight = 256;
  // The largest body sent or answered (an invoke request's limit).
  static constexpr std::size_t kMaxBodyBytes = protocol::Invoke::kMaxBodyBytes;

  explicit Invocations(Reply reply) : reply_(std::move(reply)) {}

  // After a /run has answered, how long its logs wait for the action's
  // end-of-activation lines (ActionLog::activation_ended) before they are
  // sent as they are, marked truncated.
  static constexpr auto kLogWait = std::chrono::seconds(1);

  // POSTs the call's body to http://127.0.0.1:<port><path>; replies with a
  // protocol::ActionAnswer or an error naming what failed. A /run with
  // log_bytes takes its logs from `log` (the instance's) once the action has
  // ended its activation; a /run without them only starts the next one.
  void start(std::uint64_t request_id, const protocol::Invoke& call, std::shared_ptr<ActionLog> log);

  void poll_fds(std::vector<pollfd>& fds) const;
  void on_poll(const std::vector<pollfd>& fds);
  void tick();
  Clock::duration until_next_deadline() const;
  std::size_t in_flight() const { return exchanges_.size(); }

 private:
  struct Exchange {
    std::uint64_t request_id = 0;
    int port = 0;
    UniqueFd fd;
    std::string out;
    std::size_t written = 0;
    protocol::HttpReader reader{protocol::HttpReader::Kind::kResponse, kMaxBodyBytes};
    Clock::time_point started;
    Clock::time_point deadline;
    bool done = false;
    std::shared_ptr<ActionLog> log;  // a /run's
    std::size_t log_bytes = 0;
    // Answered, waiting for the action to end its activation's output
    // (until `deadline`, now kLogWait after the answer).
    std::optional<protocol::ActionAnswer> answer;
  };

  void step(Exchange& exchange, short revents);
  void answered(Exchange& exchange, protocol::ActionAnswer answer);
  // Sends the answer with the logs taken now (`complete`: the action ended
  // its activation).
  void finish_with_logs(Exchange& exchange, bool complete);
  void finish(Exchange& exchange, protocol::Response response);
  void fail(Exchange& exchange, const std::string& why);

  Reply reply_;
  std::vector<std::unique_ptr<Exchange>> exchanges_;
};

}  // namespace hotmem::agent

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
#include <string>
#include <vector>

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

  // POSTs `body` to http://127.0.0.1:<port><target>; replies with a
  // protocol::ActionAnswer or an error naming what failed.
  void start(std::uint64_t request_id, int port, const std::string& target, const std::string& body,
             Clock::duration timeout);

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
  };

  void step(Exchange& exchange, short revents);
  void finish(Exchange& exchange, protocol::Response response);
  void fail(Exchange& exchange, const std::string& why);

  Reply reply_;
  std::vector<std::unique_ptr<Exchange>> exchanges_;
};

}  // namespace hotmem::agent

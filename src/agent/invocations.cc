#include "agent/invocations.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "protocol/frame.h"

namespace hotmem::agent {

void Invocations::start(std::uint64_t request_id, const protocol::Invoke& call, std::shared_ptr<ActionLog> log) {
  const int port = call.port;
  auto exchange = std::make_unique<Exchange>();
  exchange->request_id = request_id;
  exchange->port = port;
  exchange->started = Clock::now();
  exchange->deadline = exchange->started + call.timeout;
  if (call.path == "/run") {
    exchange->log = std::move(log);
    exchange->log_bytes = call.log_bytes;
  }
  if (exchanges_.size() >= kMaxInFlight) return fail(*exchange, "too many invocations in flight");

  exchange->fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!exchange->fd.valid()) return fail(*exchange, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(exchange->fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    return fail(*exchange, fmt::format("connect: {}", std::strerror(errno)));
  }
  exchange->out = protocol::format_request("POST", call.path, call.body);
  exchanges_.push_back(std::move(exchange));
}

void Invocations::poll_fds(std::vector<pollfd>& fds) const {
  for (const auto& e : exchanges_) {
    if (e->answer) continue;  // waits for its logs only
    const bool sending = e->written < e->out.size();
    fds.push_back(pollfd{e->fd.get(), static_cast<short>(sending ? POLLOUT : POLLIN), 0});
  }
}

void Invocations::on_poll(const std::vector<pollfd>& fds) {
  for (const pollfd& p : fds) {
    if (p.revents == 0) continue;
    for (auto& e : exchanges_) {
      if (e->fd.valid() && e->fd.get() == p.fd && !e->done) {
        step(*e, p.revents);
        break;
      }
    }
  }
  std::erase_if(exchanges_, [](const auto& e) { return e->done; });
}

void Invocations::step(Exchange& e, short revents) {
  if (e.written < e.out.size()) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(e.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      return fail(e, fmt::format("nothing answers on port {}: {}", e.port, std::strerror(error)));
    }
    const ssize_t n = ::send(e.fd.get(), e.out.data() + e.written, e.out.size() - e.written, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return fail(e, fmt::format("send: {}", std::strerror(errno)));
    if (n > 0) e.written += static_cast<std::size_t>(n);
    return;
  }
  if (!(revents & (POLLIN | POLLHUP | POLLERR))) return;
  char buffer[16384];
  const ssize_t n = ::recv(e.fd.get(), buffer, sizeof buffer, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    return fail(e, fmt::format("recv: {}", std::strerror(errno)));
  }
  Status s = n == 0 ? e.reader.finish() : e.reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
  if (!s) return fail(e, "the instance's answer: " + s.error().message());
  if (!e.reader.complete()) return;
  const auto& message = e.reader.message();
  const auto elapsed = Clock::now() - e.started;
  answered(e, protocol::ActionAnswer{message.status, message.body, elapsed, {}});
}

void Invocations::answered(Exchange& e, protocol::ActionAnswer answer) {
  e.fd.reset();
  if (!e.log) return finish(e, protocol::answer_response(e.request_id, answer));
  if (e.log_bytes == 0) {
    (void)e.log->take(0, e.started);  // not wanted: the next activation starts
    return finish(e, protocol::answer_response(e.request_id, answer));
  }
  e.answer = std::move(answer);
  e.deadline = Clock::now() + kLogWait;
  if (e.log->activation_ended()) finish_with_logs(e, true);
}

void Invocations::finish_with_logs(Exchange& e, bool complete) {
  protocol::ActionAnswer answer = std::move(*e.answer);
  answer.logs = e.log->take(e.log_bytes, e.started);
  if (!complete) answer.logs.truncated = true;
  // The answer must fit one frame: a body near its limit, or lines the
  // JSON escapes grow, leave fewer lines.
  protocol::Response response = protocol::answer_response(e.request_id, answer);
  while (protocol::encode_response(response).size() + 1024 > protocol::kDefaultMaxPayload &&
         !answer.logs.lines.empty()) {
    answer.logs.lines.resize(answer.logs.lines.size() / 2);
    answer.logs.truncated = true;
    response = protocol::answer_response(e.request_id, answer);
  }
  finish(e, std::move(response));
}

void Invocations::tick() {
  const auto now = Clock::now();
  for (auto& e : exchanges_) {
    if (e->done) continue;
    if (e->answer) {
      if (e->log->activation_ended()) {
        finish_with_logs(*e, true);
      } else if (now >= e->deadline) {
        finish_with_logs(*e, false);
      }
      continue;
    }
    if (now >= e->deadline) {
      fail(*e, fmt::format("no answer from the instance on port {} within {} ms", e->port,
                           std::chrono::duration_cast<Millis>(e->deadline - e->started).count()));
    }
  }
  std::erase_if(exchanges_, [](const auto& e) { return e->done; });
}

Clock::duration Invocations::until_next_deadline() const {
  Clock::duration next = std::chrono::hours(1);
  const auto now = Clock::now();
  for (const auto& e : exchanges_) next = std::min(next, std::max(Clock::duration::zero(), e->deadline - now));
  return next;
}

void Invocations::finish(Exchange& e, protocol::Response response) {
  e.done = true;
  e.fd.reset();
  reply_(std::move(response));
}

void Invocations::fail(Exchange& e, const std::string& why) {
  finish(e, protocol::error_response(e.request_id, why));
}

}  // namespace hotmem::agent

#include "agent/invocations.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace hotmem::agent {

void Invocations::start(std::uint64_t request_id, int port, const std::string& target, const std::string& body,
                        Clock::duration timeout) {
  auto exchange = std::make_unique<Exchange>();
  exchange->request_id = request_id;
  exchange->port = port;
  exchange->started = Clock::now();
  exchange->deadline = exchange->started + timeout;
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
  exchange->out = protocol::format_request("POST", target, body);
  exchanges_.push_back(std::move(exchange));
}

void Invocations::poll_fds(std::vector<pollfd>& fds) const {
  for (const auto& e : exchanges_) {
    const bool sending = e->written < e->out.size();
    fds.push_back(pollfd{e->fd.get(), static_cast<short>(sending ? POLLOUT : POLLIN), 0});
  }
}

void Invocations::on_poll(const std::vector<pollfd>& fds) {
  for (const pollfd& p : fds) {
    if (p.revents == 0) continue;
    for (auto& e : exchanges_) {
      if (e->fd.get() == p.fd && !e->done) {
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
  finish(e, protocol::answer_response(e.request_id, protocol::ActionAnswer{message.status, message.body, elapsed}));
}

void Invocations::tick() {
  const auto now = Clock::now();
  for (auto& e : exchanges_) {
    if (!e->done && now >= e->deadline) {
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

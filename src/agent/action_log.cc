#include "agent/action_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace hotmem::agent {

Result<std::shared_ptr<ActionLog>> ActionLog::open() {
  std::shared_ptr<ActionLog> log(new ActionLog());
  const protocol::LogStream which[] = {protocol::LogStream::kStdout, protocol::LogStream::kStderr};
  for (std::size_t i = 0; i < 2; ++i) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Error(fmt::format("pipe: {}", std::strerror(errno)));
    Stream& s = log->streams_[i];
    s.which = which[i];
    s.read.reset(fds[0]);
    s.write.reset(fds[1]);
    // Only the agent's end: the instance writes as a program writes to any
    // pipe, blocking while it is full (the agent drains it).
    if (::fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) return Error(fmt::format("fcntl: {}", std::strerror(errno)));
  }
  return log;
}

void ActionLog::close_child_ends() {
  for (Stream& s : streams_) s.write.reset();
}

void ActionLog::poll_fds(std::vector<pollfd>& fds) const {
  for (const Stream& s : streams_) {
    if (!s.closed) fds.push_back(pollfd{s.read.get(), POLLIN, 0});
  }
}

bool ActionLog::on_poll(const pollfd& p) {
  for (Stream& s : streams_) {
    if (s.closed || s.read.get() != p.fd) continue;
    if (p.revents != 0) read_from(s);
    return true;
  }
  return false;
}

void ActionLog::read_from(Stream& s) {
  char buffer[16384];
  std::size_t total = 0;
  while (total < kMaxReadPerPoll) {
    const ssize_t n = ::read(s.read.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      // Closed (the instance and whatever inherited its output are gone).
      if (!s.partial.empty()) line(s, std::exchange(s.partial, {}));
      s.closed = true;
      s.read.reset();
      return;
    }
    total += static_cast<std::size_t>(n);
    std::string_view chunk(buffer, static_cast<std::size_t>(n));
    while (!chunk.empty()) {
      const std::size_t nl = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, nl);
      const std::size_t room = kMaxLineBytes - s.partial.size();
      if (piece.size() >= room && (nl == std::string_view::npos || piece.size() > room)) {
        // A line longer than kMaxLineBytes goes out in pieces.
        s.partial.append(piece.substr(0, room));
        line(s, std::exchange(s.partial, {}));
        chunk.remove_prefix(room);
        continue;
      }
      s.partial.append(piece);
      if (nl == std::string_view::npos) break;
      line(s, std::exchange(s.partial, {}));
      chunk.remove_prefix(nl + 1);
    }
  }
}

void ActionLog::line(Stream& s, std::string text) {
  if (text == protocol::kLogSentinel) {
    s.expects_sentinel = true;
    if (s.owed > 0) {
      --s.owed;
    } else {
      ++s.sentinels;
    }
    return;
  }
  if (echo_fd_ >= 0 && s.which == protocol::LogStream::kStderr) {
    const std::string echoed = text + "\n";
    [[maybe_unused]] auto n = ::write(echo_fd_, echoed.data(), echoed.size());
  }
  const std::size_t cost = text.size() + protocol::ActionLogs::kLineOverhead;
  if (bytes_ + cost > kMaxBufferedBytes) {
    dropped_ = true;
    return;
  }
  bytes_ += cost;
  lines_.push_back(Entry{s.which, Clock::now(), std::move(text)});
}

bool ActionLog::activation_ended() const {
  for (const Stream& s : streams_) {
    if (!s.closed && s.expects_sentinel && s.sentinels == 0) return false;
  }
  return true;
}

protocol::ActionLogs ActionLog::take(std::size_t limit, Clock::time_point since) {
  protocol::ActionLogs logs;
  logs.truncated = dropped_;
  std::size_t used = 0;
  for (Entry& e : lines_) {
    protocol::LogLine l{e.stream, 0, std::move(e.text)};
    l.ms = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, std::chrono::duration_cast<Millis>(e.at - since).count()));
    if (used + protocol::ActionLogs::cost(l) > limit) {
      logs.truncated = true;  // the first line that does not fit ends the take
      break;
    }
    used += protocol::ActionLogs::cost(l);
    logs.lines.push_back(std::move(l));
  }
  if (limit == 0) logs = {};
  lines_.clear();
  bytes_ = 0;
  dropped_ = false;
  for (Stream& s : streams_) {
    if (s.sentinels == 0 && !s.closed && s.expects_sentinel) {
      // It wrote none this time: its sentinel may still come (late: owed),
      // or it writes none at all (not waited for again until it does).
      s.expects_sentinel = false;
      if (s.owed < 16) ++s.owed;
    }
    s.sentinels = 0;
  }
  return logs;
}

}  // namespace hotmem::agent

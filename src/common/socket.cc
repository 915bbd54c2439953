#include "common/socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "common/interrupt.h"

namespace hotmem {
namespace {

Result<sockaddr_un> unix_address(const std::filesystem::path& path) {
  if (Status fits = check_unix_socket_path(path); !fits) return fits.error();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& p = path.native();
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  return addr;
}

}  // namespace

Status check_unix_socket_path(const std::filesystem::path& path) {
  const std::string& p = path.native();
  if (p.size() >= sizeof(sockaddr_un::sun_path)) {
    return Error(fmt::format("socket path too long ({} bytes, at most {}): {}", p.size(),
                             sizeof(sockaddr_un::sun_path) - 1, p));
  }
  return ok_status();
}

namespace {

// Waits for `events` on fd; false on timeout or interruption.
Result<bool> wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    if (interrupted()) return Error("interrupted");
    pollfd p{fd, events, 0};
    const int timeout = deadline.poll_timeout_ms(Millis(200));
    const int r = ::poll(&p, 1, timeout);
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return Error(fmt::format("poll: {}", std::strerror(errno)));
    if (r == 0 && deadline.expired()) return false;
  }
}

}  // namespace

Result<UniqueFd> connect_unix(const std::filesystem::path& path, Deadline deadline,
                              const std::function<bool()>& alive) {
  auto addr = unix_address(path);
  if (!addr) return addr.error();
  int last_errno = 0;
  for (;;) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) return Error(fmt::format("socket: {}", std::strerror(errno)));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) == 0) return fd;
    last_errno = errno;
    if (last_errno != ENOENT && last_errno != ECONNREFUSED && last_errno != EAGAIN) break;
    if (deadline.expired() || interrupted() || (alive && !alive())) break;
    std::this_thread::sleep_for(Millis(10));
  }
  return Error(fmt::format("cannot connect to {}: {}", path.string(), std::strerror(last_errno)));
}

Result<UniqueFd> listen_unix(const std::filesystem::path& path, int backlog) {
  auto addr = unix_address(path);
  if (!addr) return addr.error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Error(fmt::format("socket: {}", std::strerror(errno)));
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0 ||
      ::listen(fd.get(), backlog) != 0) {
    return Error(fmt::format("cannot listen on {}: {}", path.string(), std::strerror(errno)));
  }
  return fd;
}

Result<UniqueFd> accept_unix(int listen_fd, Deadline deadline) {
  auto ready = wait_for(listen_fd, POLLIN, deadline);
  if (!ready) return ready.error();
  if (!*ready) return Error("no connection before the deadline");
  UniqueFd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!fd.valid()) return Error(fmt::format("accept: {}", std::strerror(errno)));
  return fd;
}

Status write_all(int fd, std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data(), data.size());  // a character device
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto ready = wait_for(fd, POLLOUT, deadline);
      if (!ready) return ready.error();
      if (!*ready) return Error("write timed out: the peer is not reading");
      continue;
    }
    return Error(fmt::format("write: {}", std::strerror(errno)));
  }
  return ok_status();
}

Result<bool> wait_readable(int fd, const Deadline& deadline) { return wait_for(fd, POLLIN, deadline); }

Result<std::size_t> read_some(int fd, std::span<char> buffer, Deadline deadline) {
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      auto ready = wait_for(fd, POLLIN, deadline);
      if (!ready) return ready.error();
      if (!*ready) return Error("read timed out: the peer sent nothing");
      continue;
    }
    return Error(fmt::format("read: {}", std::strerror(errno)));
  }
}

}  // namespace hotmem

#include "agent/action_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/socket.h"
#include "common/unique_fd.h"
#include "protocol/agent_calls.h"
#include "protocol/http_message.h"
#include "protocol/messages.h"

namespace hotmem::agent {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxRequestBytes = 1 << 20;
constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr std::uint64_t kMaxRunMib = 65536;
constexpr std::uint64_t kMaxRunMs = 10 * 60 * 1000;

volatile sig_atomic_t g_stop = 0;
void on_term(int) { g_stop = 1; }

struct Reply {
  int status;
  json body;
};

Reply bad_request(const std::string& why) { return {400, json{{"error", why}}}; }

// Touches `mib` MiB of fresh memory; returns a checksum over it.
std::uint64_t touch_and_sum(std::uint64_t mib, std::uint64_t seed) {
  if (mib == 0) return 0;
  const std::size_t bytes = mib << 20;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  auto* words = static_cast<std::uint64_t*>(p);
  const std::size_t n = bytes / sizeof(std::uint64_t);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; i += 512) words[i] = seed ^ i;  // one write per 4 KiB page
  for (std::size_t i = 0; i < n; i += 512) sum = sum * 31 + words[i];
  ::munmap(p, bytes);
  return sum;
}

Reply run(const json& request) {
  if (!request.contains("value") || !request["value"].is_object()) {
    return bad_request("the body must be {\"value\": {...}}");
  }
  const json& value = request["value"];
  std::uint64_t mib = 0, ms = 0, seed = 1;
  for (auto [key, out, max] : {std::tuple{"mib", &mib, kMaxRunMib}, std::tuple{"ms", &ms, kMaxRunMs},
                               std::tuple{"seed", &seed, UINT64_MAX}}) {
    if (!protocol::has(value, key)) continue;
    auto v = protocol::get_u64(value, key, max);
    if (!v) return bad_request(v.error().message());
    *out = *v;
  }
  const std::uint64_t sum = touch_and_sum(mib, seed);
  if (ms > 0) std::this_thread::sleep_for(Millis(ms));
  json body{{"mib", mib}, {"checksum", sum}};
  if (value.contains("echo")) body["echo"] = value["echo"];
  return {200, body};
}

Reply dispatch(const protocol::HttpMessage& message) {
  if (message.method != "POST") return {405, json{{"error", "only POST is served"}}};
  auto request = protocol::parse_object(message.body);
  if (!request) return bad_request(request.error().message());
  if (message.target == "/init") return {200, json{{"ok", true}}};
  if (message.target == "/run") return run(*request);
  return {404, json{{"error", "no such path: " + message.target}}};
}

// Reads one request from the connection (non-blocking: every read and
// write is bounded by the request's deadline) and answers it.
void serve_connection(int fd) {
  protocol::HttpReader reader(protocol::HttpReader::Kind::kRequest, kMaxRequestBytes);
  const Deadline deadline(kRequestTimeout);
  char buffer[16384];
  while (!reader.complete() && !g_stop) {
    auto n = read_some(fd, buffer, deadline);
    if (!n || *n == 0) return;  // silent or gone: drop it
    if (Status s = reader.feed(std::string_view(buffer, *n)); !s) {
      (void)write_all(fd, protocol::format_response(400, json{{"error", s.error().message()}}.dump()), deadline);
      return;
    }
  }
  if (!reader.complete()) return;
  const Reply reply = dispatch(reader.message());
  (void)write_all(
      fd, protocol::format_response(reply.status, reply.body.dump(-1, ' ', false, json::error_handler_t::replace)),
      deadline);
  // As OpenWhisk's runtimes do: the activation's output ends here.
  if (reader.message().target == "/run") {
    for (std::FILE* stream : {stdout, stderr}) {
      std::fprintf(stream, "%.*s\n", static_cast<int>(protocol::kLogSentinel.size()), protocol::kLogSentinel.data());
      std::fflush(stream);
    }
  }
}

}  // namespace

int run_action_server(int port, std::uint64_t hold_mib, const std::function<void()>& ready) {
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);

  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!listener.valid() || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), 64) != 0) {
    std::fprintf(stderr, "action: cannot listen on 127.0.0.1:%d: %s\n", port, std::strerror(errno));
    return 1;
  }
  void* held = nullptr;
  if (hold_mib > 0) {
    held = ::mmap(nullptr, hold_mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (held == MAP_FAILED) {
      std::fprintf(stderr, "action: cannot hold %llu MiB: %s\n", static_cast<unsigned long long>(hold_mib),
                   std::strerror(errno));
      return 1;
    }
    std::memset(held, 0x3c, hold_mib << 20);
  }
  ready();
  while (!g_stop) {
    pollfd p{listener.get(), POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (connection.valid()) serve_connection(connection.get());
  }
  return 0;
}

}  // namespace hotmem::agent

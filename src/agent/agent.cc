#include "agent/agent.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "agent/guest_system.h"
#include "agent/rootfs.h"
#include "common/proc_stats.h"
#include "common/socket.h"

namespace hotmem::agent {
namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(5);
constexpr std::uint64_t kMaxWaitMs = 10 * 60 * 1000;

void log(const std::string& line) { std::fprintf(stderr, "hotmem-agent: %s\n", line.c_str()); }

protocol::Response ok(std::uint64_t id, json body) { return {id, true, "", std::move(body)}; }
protocol::Response fail(std::uint64_t id, std::string error) { return {id, false, std::move(error), {}}; }

}  // namespace

Agent::Agent(UniqueFd port)
    : port_(std::move(port)),
      instances_([this](protocol::Response r) { send(r); }),
      chores_([this](protocol::Response r) { send(r); }),
      invocations_([this](protocol::Response r) { send(r); }) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  sigchld_.reset(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  auto read_cmdline = read_text_file("/proc/cmdline", 4096);
  const std::string cmdline = read_cmdline ? *read_cmdline : "";
  hostility_ = hostility_from_cmdline(cmdline);
  if (auto thp = cmdline_value(cmdline, "hotmem.thp")) {
    // Linux turns transparent hugepages off on a guest that boots with
    // under 512 MiB; the host says what every mode gets (KernelCmdline).
    if (Status s = set_transparent_hugepages(*thp); !s) log("transparent hugepages unchanged: " + s.error().message());
  }
  if (hostility_ != Hostility::kNone) log("booted hostile (hotmem.hostile): turns on the host at the first invocation");
  if (Status s = prepare_instance_roots(); !s) log("instances will lack sandboxes: " + s.error().message());
  if (Status s = bring_up_loopback(); !s) log("instances cannot be invoked: " + s.error().message());
  if (auto rootfs = mount_function_rootfs(); !rootfs) {
    log("no function root filesystem: " + rootfs.error().message());
  } else if (*rootfs) {
    log("function root filesystem mounted read-only at " + (*rootfs)->string());
  }
}

int Agent::run() {
  log("ready");
  for (;;) {
    std::vector<pollfd> fds{{port_.get(), POLLIN, 0}, {sigchld_.get(), POLLIN, 0}};
    instances_.poll_fds(fds);
    invocations_.poll_fds(fds);
    int timeout = static_cast<int>(std::chrono::ceil<Millis>(
                                       std::min({instances_.until_next_deadline(), chores_.until_next_deadline(),
                                                 invocations_.until_next_deadline()}))
                                       .count());
    // While the host is away the port reports POLLHUP continuously: look
    // again every so often instead of spinning.
    if (!host_connected_) {
      fds[0].events = 0;
      timeout = std::min(timeout, 50);
    }
    const int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) {
      log(fmt::format("poll: {}", std::strerror(errno)));
      return 1;
    }
    if (fds[1].revents) reap_children();
    if (!host_connected_ || fds[0].revents) on_port_readable();
    instances_.on_poll(fds);
    invocations_.on_poll(fds);
    instances_.tick();
    chores_.tick();
    invocations_.tick();
  }
}

void Agent::on_port_readable() {
  char buf[65536];
  const ssize_t n = ::read(port_.get(), buf, sizeof buf);
  if (n > 0) {
    host_connected_ = true;
    if (Status s = decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n))); !s) {
      // The host is trusted, but a broken stream must not wedge us: start over.
      log("dropping a malformed stream from the host: " + s.error().message());
      decoder_ = protocol::FrameDecoder();
      return;
    }
    while (auto payload = decoder_.next()) {
      auto request = protocol::decode_request(*payload);
      if (!request) {
        log("ignoring a malformed request: " + request.error().message());
        continue;
      }
      handle(*request);
    }
    return;
  }
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    if (host_connected_) decoder_ = protocol::FrameDecoder();  // a new host session starts afresh
    host_connected_ = false;
  }
}

void Agent::send(const protocol::Response& response) {
  const std::string frame = protocol::encode_frame(protocol::encode_response(response));
  if (Status s = write_all(port_.get(), frame, Deadline(kWriteTimeout)); !s) {
    log("cannot answer the host: " + s.error().message());
  }
}

void Agent::reap_children() {
  signalfd_siginfo info;
  while (::read(sigchld_.get(), &info, sizeof info) == sizeof info) {
  }
  for (;;) {
    // Peek first, so an instance's status goes to its record.
    siginfo_t si{};
    if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) return;
    int status = 0;
    if (::waitpid(si.si_pid, &status, WNOHANG) != si.si_pid) return;
    if (!instances_.on_child_exit(si.si_pid, status)) chores_.on_child_exit(si.si_pid, status);
  }
}

void Agent::handle(const protocol::Request& request) {
  const std::uint64_t id = request.id;
  if (request.type == "ping") return send(ping(request));
  if (request.type == "memory_report") return send(memory_report(request));
  if (request.type == "instance_list") return send(ok(id, json{{"instances", instances_.list()}}));
  if (request.type == "instance_start") {
    auto spec = parse_instance_spec(request.body);
    if (!spec) return send(fail(id, spec.error().message()));
    if (spec->node) {
      // An offlining of this node still under way (the host gave up waiting
      // for its reclaim) must not take the new instance's memory away.
      chores_.cancel_node(*spec->node);
      if (auto back = online_node_memory(*spec->node); !back) {
        std::fprintf(stderr, "hotmem-agent: %s\n", back.error().message().c_str());
      }
    }
    return instances_.start(id, std::move(*spec));
  }
  if (request.type == "preload") return send(preload(request));
  if (request.type == "invoke") return invoke(request);
  if (request.type == "instance_signal") {
    auto name = protocol::get_string(request.body, "name", 64);
    if (!name) return send(fail(id, name.error().message()));
    auto which = protocol::get_string(request.body, "signal", 16);
    if (!which) return send(fail(id, which.error().message()));
    if (*which != "USR1" && *which != "USR2") return send(fail(id, "field 'signal' must be USR1 or USR2"));
    Status s = instances_.signal(*name, *which == "USR1" ? SIGUSR1 : SIGUSR2);
    return send(s ? ok(id, json::object()) : fail(id, s.error().message()));
  }
  if (request.type == "offline_node") {
    auto node = protocol::get_i64(request.body, "node", 1, 1023);
    if (!node) return send(fail(id, node.error().message()));
    std::uint64_t timeout_ms = 10000;
    if (protocol::has(request.body, "timeout_ms")) {
      auto t = protocol::get_u64(request.body, "timeout_ms", kMaxWaitMs);
      if (!t) return send(fail(id, t.error().message()));
      timeout_ms = *t;
    }
    return chores_.offline_node(id, static_cast<int>(*node), Millis(timeout_ms));
  }
  if (request.type == "instance_stop") {
    auto name = protocol::get_string(request.body, "name", 64);
    if (!name) return send(fail(id, name.error().message()));
    std::uint64_t grace_ms = 2000;
    if (protocol::has(request.body, "grace_ms")) {
      auto g = protocol::get_u64(request.body, "grace_ms", kMaxWaitMs);
      if (!g) return send(fail(id, g.error().message()));
      grace_ms = *g;
    }
    return instances_.stop(id, *name, Millis(grace_ms));
  }
  send(fail(id, fmt::format("unknown request type '{}'", request.type)));
}

protocol::Response Agent::ping(const protocol::Request& request) {
  auto cmdline = read_text_file("/proc/cmdline", 4096);
  return ok(request.id, json{{"agent_version", kAgentVersion},
                             {"kernel", kernel_release()},
                             {"uptime_ms", uptime_ms()},
                             {"cmdline", cmdline ? *cmdline : ""}});
}

protocol::Response Agent::memory_report(const protocol::Request& request) {
  if (turned_ && hostility_ == Hostility::kLie) return lying_memory_report(request.id);
  json nodes = json::object();
  for (int node : list_nodes()) {
    auto text = node_meminfo_text(node);
    // A node whose last memory was just unplugged disappears from sysfs, and
    // may show an empty file on its way out.
    if (!text || text->find("MemTotal") == std::string::npos) continue;
    nodes[std::to_string(node)] = std::move(*text);
  }
  auto vmstat = vmstat_text();
  if (!vmstat) return fail(request.id, vmstat.error().message());
  auto stat = read_text_file("/proc/stat", 1 << 20);
  if (!stat) return fail(request.id, stat.error().message());
  return ok(request.id, json{{"nodes", std::move(nodes)}, {"vmstat", std::move(*vmstat)}, {"stat", std::move(*stat)}});
}

protocol::Response Agent::preload(const protocol::Request& request) {
  auto paths = protocol::get_string_list(request.body, "paths", 4096, 4096);
  if (!paths) return fail(request.id, paths.error().message());
  auto bytes = preload_files(*paths);
  if (!bytes) return fail(request.id, bytes.error().message());
  return ok(request.id, json{{"bytes", *bytes}});
}

void Agent::invoke(const protocol::Request& request) {
  const std::uint64_t id = request.id;
  auto name = protocol::get_string(request.body, "name", 64);
  if (!name) return send(fail(id, name.error().message()));
  auto port = protocol::get_i64(request.body, "port", 1024, 65535);
  if (!port) return send(fail(id, port.error().message()));
  auto target = protocol::get_string(request.body, "path", 64);
  if (!target) return send(fail(id, target.error().message()));
  if (*target != "/init" && *target != "/run") return send(fail(id, "field 'path' must be /init or /run"));
  auto body = protocol::get_string(request.body, "body", Invocations::kMaxBodyBytes);
  if (!body) return send(fail(id, body.error().message()));
  auto timeout_ms = protocol::get_u64(request.body, "timeout_ms", kMaxWaitMs);
  if (!timeout_ms) return send(fail(id, timeout_ms.error().message()));
  if (!instances_.running(*name)) return send(fail(id, fmt::format("instance '{}' is not running", *name)));
  if (hostility_ != Hostility::kNone) {
    turned_ = true;
    return turn_hostile(hostility_, port_.get(), id);
  }
  invocations_.start(id, static_cast<int>(*port), *target, *body, Millis(*timeout_ms));
}

}  // namespace hotmem::agent

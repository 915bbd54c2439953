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

void log(const std::string& line) { std::fprintf(stderr, "hotmem-agent: %s\n", line.c_str()); }

}  // namespace

Agent::Agent(UniqueFd port)
    : port_(std::move(port)),
      instances_([this](protocol::Response r) { send(r); }),
      chores_([this](protocol::Response r) { send(r); }),
      clearer_([this](protocol::Response r) { send(r); }, [this](pid_t pid) { return chores_.owns(pid); }),
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
  if (hostility_ == Hostility::kOnRequest) {
    log("booted hostile on request (hotmem.hostile=on-request): turns on the host when an invocation asks");
  } else if (hostility_ != Hostility::kNone) {
    log("booted hostile (hotmem.hostile): turns on the host at the first invocation");
  }
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
                                                 clearer_.until_next_deadline(), invocations_.until_next_deadline()}))
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
    clearer_.tick();
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

template <class Call, void (Agent::*Handle)(std::uint64_t, Call)>
constexpr Agent::Route Agent::route() {
  return {Call::kType, &Agent::decode_and<Call, Handle>};
}

template <class Call, void (Agent::*Handle)(std::uint64_t, Call)>
void Agent::decode_and(const protocol::Request& request) {
  auto call = Call::decode(request.body);
  if (!call) return send(protocol::error_response(request.id, call.error().message()));
  (this->*Handle)(request.id, std::move(*call));
}

void Agent::handle(const protocol::Request& request) {
  using namespace protocol;
  static constexpr Route kRoutes[] = {
      route<Ping, &Agent::ping>(),
      route<MemoryReport, &Agent::memory_report>(),
      route<InstanceStart, &Agent::instance_start>(),
      route<InstanceStop, &Agent::instance_stop>(),
      route<InstanceList, &Agent::instance_list>(),
      route<InstanceSignal, &Agent::instance_signal>(),
      route<OfflineNode, &Agent::offline_node>(),
      route<ClearNode, &Agent::clear_node>(),
      route<Preload, &Agent::preload>(),
      route<Invoke, &Agent::invoke>(),
  };
  for (const Route& r : kRoutes) {
    if (r.type == request.type) return (this->*r.handler)(request);
  }
  send(error_response(request.id, fmt::format("unknown request type '{}'", request.type)));
}

void Agent::ping(std::uint64_t id, protocol::Ping) {
  auto cmdline = read_text_file("/proc/cmdline", 4096);
  send(protocol::answer_response(
      id, protocol::AgentInfo{kAgentVersion, kernel_release(), uptime_ms(), cmdline ? *cmdline : ""}));
}

void Agent::memory_report(std::uint64_t id, protocol::MemoryReport) {
  if (turned_ == Hostility::kLie) return send(protocol::answer_response(id, lying_memory_report()));
  protocol::MemoryReportTexts report;
  for (int node : list_nodes()) {
    auto text = node_meminfo_text(node);
    // A node whose last memory was just unplugged disappears from sysfs, and
    // may show an empty file on its way out.
    if (!text || text->find("MemTotal") == std::string::npos) continue;
    report.nodes[node] = std::move(*text);
  }
  auto vmstat = vmstat_text();
  if (!vmstat) return send(protocol::error_response(id, vmstat.error().message()));
  report.vmstat = std::move(*vmstat);
  auto stat = read_text_file("/proc/stat", 1 << 20);
  if (!stat) return send(protocol::error_response(id, stat.error().message()));
  report.stat = std::move(*stat);
  send(protocol::answer_response(id, report));
}

void Agent::instance_start(std::uint64_t id, protocol::InstanceStart start) {
  // What only the guest can check, before anything is done about the node.
  if (start.program.root) {
    if (Status s = check_instance_root(*start.program.root); !s) {
      return send(protocol::error_response(id, s.error().message()));
    }
  }
  if (start.node) {
    // An offlining of this node still under way (the host gave up waiting
    // for its reclaim) must not take the new instance's memory away.
    chores_.cancel_node(*start.node);
    if (auto back = online_node_memory(*start.node); !back) log(back.error().message());
  }
  instances_.start(id, std::move(start));
}

void Agent::instance_stop(std::uint64_t id, protocol::InstanceStop stop) {
  instances_.stop(id, stop.name, stop.grace);
}

void Agent::instance_list(std::uint64_t id, protocol::InstanceList) {
  send(protocol::answer_response(id, instances_.list()));
}

void Agent::instance_signal(std::uint64_t id, protocol::InstanceSignal signal) {
  Status s = instances_.signal(signal.name, signal.signal == "USR1" ? SIGUSR1 : SIGUSR2);
  send(s ? protocol::answer_response(id, protocol::Signalled{}) : protocol::error_response(id, s.error().message()));
}

void Agent::offline_node(std::uint64_t id, protocol::OfflineNode offline) {
  chores_.offline_node(id, offline.node, offline.timeout);
}

void Agent::clear_node(std::uint64_t id, protocol::ClearNode clear) {
  clearer_.clear(id, clear.node, clear.timeout);
}

void Agent::preload(std::uint64_t id, protocol::Preload preload) {
  auto bytes = preload_files(preload.paths);
  if (!bytes) return send(protocol::error_response(id, bytes.error().message()));
  send(protocol::answer_response(id, protocol::Preloaded{*bytes}));
}

void Agent::invoke(std::uint64_t id, protocol::Invoke invoke) {
  if (!instances_.running(invoke.name)) {
    return send(protocol::error_response(id, fmt::format("instance '{}' is not running", invoke.name)));
  }
  const Hostility how = hostility_ == Hostility::kOnRequest ? hostility_requested(invoke.body) : hostility_;
  if (how != Hostility::kNone) {
    turned_ = how;
    return turn_hostile(how, port_.get(), id);
  }
  invocations_.start(id, invoke, instances_.log(invoke.name));
}

}  // namespace hotmem::agent

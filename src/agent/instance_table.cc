#include "agent/instance_table.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "agent/guest_system.h"
#include "protocol/guest_reports.h"

namespace hotmem::agent {
namespace {

constexpr auto kCheckInterval = std::chrono::milliseconds(2);

const char* state_name(bool stopping, int state) {
  static constexpr const char* kNames[] = {"preparing", "starting", "running", "ended", "exited"};
  if (stopping && state < 3) return "stopping";
  return kNames[state];
}

std::uint64_t node_total_bytes(int node) {
  auto text = node_meminfo_text(node);
  if (!text) return 0;
  auto info = protocol::parse_node_meminfo(*text, node);
  return info ? info->total_bytes() : 0;
}

}  // namespace

InstanceTable::InstanceTable(Reply reply)
    : reply_(std::move(reply)), console_(::open("/dev/console", O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) {}

void InstanceTable::reply_error(std::uint64_t id, std::string message) {
  reply_(protocol::error_response(id, std::move(message)));
}

void InstanceTable::start(std::uint64_t request_id, protocol::InstanceStart start) {
  const protocol::InstanceProgram& program = start.program;
  if (instances_.contains(program.name)) {
    return reply_error(request_id, fmt::format("instance '{}' already exists", program.name));
  }
  if (instances_.size() >= kMaxInstances) {
    return reply_error(request_id, fmt::format("at most {} instances", kMaxInstances));
  }
  auto sandbox = Sandbox::create({program.name, start.node, start.memory_max, program.scratch_bytes, program.root});
  if (!sandbox) return reply_error(request_id, sandbox.error().message());
  const std::string name = program.name;
  Instance& instance = instances_.emplace(name, Instance{}).first->second;
  instance.start = std::move(start);
  instance.sandbox.emplace(std::move(*sandbox));
  instance.start_request = request_id;
  // The partition may still be plugging: the sandbox is ready, the process
  // waits (in tick) until its node has the memory.
  instance.deadline = Clock::now() + instance.start.ready_timeout;
  tick();
}

void InstanceTable::spawn(Instance& instance) {
  const protocol::InstanceStart& start = instance.start;
  const protocol::InstanceProgram& program = start.program;
  if (start.node) {
    if (Status s = instance.sandbox->bind_node(*start.node); !s) return fail_start(instance, s.error().message());
  }
  int ready_pipe[2];
  if (::pipe2(ready_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return fail_start(instance, fmt::format("pipe: {}", std::strerror(errno)));
  }
  UniqueFd ready_read(ready_pipe[0]);
  UniqueFd ready_write(ready_pipe[1]);

  auto log = ActionLog::open();
  if (!log) return fail_start(instance, log.error().message());

  SpawnOptions options;
  options.argv = program.argv;
  options.stdout_fd = (*log)->child_stdout();
  options.stderr_fd = (*log)->child_stderr();
  options.die_with_parent = false;
  options.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp", "TMPDIR=/tmp",
                 "HOTMEM_READY_FD=3", "HOTMEM_INSTANCE=" + program.name};
  for (const auto& [k, v] : program.env) options.env.push_back(k + "=" + v);
  options.pass_fds = {ready_write.get()};
  const Sandbox* sandbox = &*instance.sandbox;
  options.before_exec = [sandbox] { sandbox->enter_from_child(); };
  auto process = ChildProcess::spawn(options);
  if (!process) return fail_start(instance, process.error().message());
  instance.process.emplace(std::move(*process));
  (*log)->close_child_ends();
  (*log)->echo_stderr_to(console_.get());  // until it is ready
  instance.log = std::move(*log);
  instance.status_fd = std::move(ready_read);
  instance.state = State::kStarting;
  if (!start.wait_ready) mark_ready(instance);
}

void InstanceTable::fail_start(Instance& instance, const std::string& why) {
  if (auto id = std::exchange(instance.start_request, std::nullopt)) {
    reply_error(*id, fmt::format("instance '{}' did not start: {}", instance.start.program.name, why));
    instance.start_failed = true;
  }
  if (instance.process && instance.state < State::kEnded) {
    instance.sandbox->kill_all();
    return;  // on_child_exit finishes it
  }
  if (!instance.process) instance.end.exit = "never started";
  instance.state = State::kEnded;
}

void InstanceTable::mark_ready(Instance& instance) {
  instance.state = State::kRunning;
  if (instance.log) instance.log->echo_stderr_to(-1);
  if (auto id = std::exchange(instance.start_request, std::nullopt)) {
    reply_(protocol::answer_response(*id, protocol::InstanceStarted{instance.process->pid()}));
  }
}

void InstanceTable::stop(std::uint64_t request_id, const std::string& name, Clock::duration grace) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return reply_error(request_id, fmt::format("no instance '{}'", name));
  Instance& instance = it->second;
  if (instance.stop_request) return reply_error(request_id, fmt::format("instance '{}' is already stopping", name));
  instance.stop_request = request_id;
  switch (instance.state) {
    case State::kPreparing:
      fail_start(instance, "stopped before it started");
      break;
    case State::kStarting:
    case State::kRunning:
      instance.sandbox->signal_all(SIGTERM);
      instance.kill_at = Clock::now() + grace;
      break;
    case State::kEnded:
    case State::kCleaned:
      break;
  }
  tick();
}

protocol::InstanceStatus InstanceTable::describe(const Instance& instance) const {
  return protocol::InstanceStatus{
      instance.start.program.name,
      instance.process ? instance.process->pid() : 0,
      state_name(instance.stop_request.has_value(), static_cast<int>(instance.state)),
      instance.end.exit,
      instance.reports,
      instance.report,
  };
}

protocol::InstanceListing InstanceTable::list() const {
  protocol::InstanceListing listing;
  for (const auto& [name, instance] : instances_) listing.instances.push_back(describe(instance));
  return listing;
}

bool InstanceTable::running(const std::string& name) const {
  auto it = instances_.find(name);
  return it != instances_.end() && it->second.state == State::kRunning;
}

std::shared_ptr<ActionLog> InstanceTable::log(const std::string& name) const {
  auto it = instances_.find(name);
  return it == instances_.end() ? nullptr : it->second.log;
}

void InstanceTable::poll_fds(std::vector<pollfd>& fds) const {
  for (const auto& [name, instance] : instances_) {
    if (instance.status_fd.valid()) fds.push_back(pollfd{instance.status_fd.get(), POLLIN, 0});
    if (instance.log) instance.log->poll_fds(fds);
  }
}

void InstanceTable::on_poll(const std::vector<pollfd>& fds) {
  for (const pollfd& p : fds) {
    if (p.revents == 0) continue;
    for (auto& [name, instance] : instances_) {
      if (instance.status_fd.valid() && instance.status_fd.get() == p.fd) {
        read_status(instance);
        break;
      }
      if (instance.log && instance.log->on_poll(p)) break;
    }
  }
}

void InstanceTable::read_status(Instance& instance) {
  char buf[16384];
  const ssize_t n = ::read(instance.status_fd.get(), buf, sizeof buf);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    instance.status_fd.reset();  // closed: it may still run, it just says no more
    return;
  }
  if (n < 0) return;
  instance.status_buffer.append(buf, static_cast<std::size_t>(n));
  std::size_t nl;
  while ((nl = instance.status_buffer.find('\n')) != std::string::npos) {
    std::string line = instance.status_buffer.substr(0, nl);
    instance.status_buffer.erase(0, nl + 1);
    if (instance.state == State::kStarting) {
      mark_ready(instance);  // the first line, whatever it says
    } else {
      instance.report = std::move(line);
      ++instance.reports;
    }
  }
  // An instance that never ends its line cannot make the agent hoard memory.
  if (instance.status_buffer.size() > kMaxReportBytes) instance.status_buffer.clear();
}

Status InstanceTable::signal(const std::string& name, int signo) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return Error(fmt::format("no instance '{}'", name));
  if (!it->second.process || it->second.state != State::kRunning) {
    return Error(fmt::format("instance '{}' is not running", name));
  }
  if (::kill(it->second.process->pid(), signo) != 0) return Error(fmt::format("kill: {}", std::strerror(errno)));
  return ok_status();
}

bool InstanceTable::on_child_exit(pid_t pid, int status) {
  for (auto& [name, instance] : instances_) {
    if (!instance.process || instance.process->pid() != pid || instance.wait_status) continue;
    instance.process->mark_reaped(status);
    instance.wait_status = status;
    instance.end.exit = describe_wait_status(status);
    instance.status_fd.reset();
    instance.end.oom_killed = instance.sandbox->oom_killed();
    if (instance.start_request) {
      const char* oom = instance.end.oom_killed ? " (out of memory)" : "";
      fail_start(instance, fmt::format("it {}{}", instance.end.exit, oom));
    }
    instance.state = State::kEnded;
    // Whatever it left running in its cgroup goes too.
    instance.sandbox->kill_all();
    tick();
    return true;
  }
  return false;
}

void InstanceTable::finish(Instance& instance) {
  Status cleaned = instance.sandbox->cleanup();
  protocol::InstanceEnd& end = instance.end;
  if (!cleaned) end.cleanup_error = cleaned.error().message();
  if (instance.start.node) {
    // The scratch's tmpfs dies with its last mount; the kernel may finish
    // freeing its pages a moment after the umount returns.
    auto left = node_leftovers(*instance.start.node);
    for (int i = 0; i < 50 && left && left->shmem_bytes > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      left = node_leftovers(*instance.start.node);
    }
    if (left) end.left = *left;
  }
  instance.state = State::kCleaned;
}

void InstanceTable::settle(Iterator it) {
  Instance& instance = it->second;
  if (auto id = std::exchange(instance.stop_request, std::nullopt)) {
    reply_(protocol::answer_response(*id, instance.end));
    instances_.erase(it);
  } else if (instance.start_failed) {
    instances_.erase(it);
  }
}

void InstanceTable::tick() {
  const auto now = Clock::now();
  for (auto it = instances_.begin(); it != instances_.end();) {
    auto current = it++;
    Instance& instance = current->second;
    switch (instance.state) {
      case State::kPreparing:
        if (!instance.start.node || (node_total_bytes(*instance.start.node) >= instance.start.node_bytes &&
                                     instances_can_use_node(*instance.start.node))) {
          spawn(instance);
        } else if (now >= instance.deadline) {
          fail_start(instance, fmt::format("node {} did not get its memory in time", *instance.start.node));
        }
        break;
      case State::kStarting:
        if (now >= instance.deadline) {
          fail_start(instance, "it was not ready in time and was killed");
        }
        [[fallthrough]];
      case State::kRunning:
        if (instance.kill_at && now >= *instance.kill_at) {
          instance.sandbox->kill_all();
          instance.kill_at.reset();
        }
        break;
      case State::kEnded:
        // Cleaned only once every process of its cgroup is gone.
        if (!instance.process || !instance.sandbox->populated()) finish(instance);
        break;
      case State::kCleaned:
        break;
    }
    if (instance.state == State::kCleaned) settle(current);
  }
}

Clock::duration InstanceTable::until_next_deadline() const {
  Clock::duration next = std::chrono::seconds(1);
  const auto now = Clock::now();
  for (const auto& [name, instance] : instances_) {
    if (instance.state == State::kPreparing || instance.state == State::kEnded) next = std::min<Clock::duration>(next, kCheckInterval);
    if (instance.state == State::kStarting) next = std::min(next, std::max(Clock::duration::zero(), instance.deadline - now));
    if (instance.kill_at) next = std::min(next, std::max(Clock::duration::zero(), *instance.kill_at - now));
  }
  return next;
}

}  // namespace hotmem::agent

#include "agent/instance_table.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace hotmem::agent {
namespace {

constexpr int kMpolBind = 2;  // MPOL_BIND from <linux/mempolicy.h>
constexpr std::size_t kMaxArgs = 256;
constexpr std::size_t kMaxArgBytes = 4096;

json describe(const std::string& name, pid_t pid, std::string_view state, const std::optional<int>& status) {
  json j{{"name", name}, {"pid", pid}, {"state", state}};
  if (status) j["exit"] = describe_wait_status(*status);
  return j;
}

}  // namespace

Result<InstanceSpec> parse_instance_spec(const json& body) {
  InstanceSpec spec;
  auto name = protocol::get_string(body, "name", 64);
  if (!name) return name.error();
  if (Status s = protocol::validate_name("instance name", *name); !s) return s.error();
  spec.name = std::move(*name);
  auto argv = protocol::get_string_list(body, "argv", kMaxArgs, kMaxArgBytes);
  if (!argv) return argv.error();
  if (argv->empty()) return Error("field 'argv' must name a program");
  spec.argv = std::move(*argv);
  if (protocol::has(body, "env")) {
    auto env = protocol::get_string_map(body, "env", kMaxArgs, kMaxArgBytes);
    if (!env) return env.error();
    spec.env = std::move(*env);
  }
  if (protocol::has(body, "node") && !body["node"].is_null()) {
    auto node = protocol::get_i64(body, "node", 0, 1023);
    if (!node) return node.error();
    spec.node = static_cast<int>(*node);
  }
  return spec;
}

void InstanceTable::reply_error(std::uint64_t id, std::string message) {
  reply_(protocol::Response{id, false, std::move(message), json::object()});
}

void InstanceTable::reply_ok(std::uint64_t id, json body) {
  reply_(protocol::Response{id, true, "", std::move(body)});
}

void InstanceTable::start(std::uint64_t request_id, InstanceSpec spec, bool wait_ready,
                          Clock::duration ready_timeout) {
  if (instances_.contains(spec.name)) {
    return reply_error(request_id, fmt::format("instance '{}' already exists", spec.name));
  }
  if (instances_.size() >= kMaxInstances) {
    return reply_error(request_id, fmt::format("at most {} instances", kMaxInstances));
  }
  int ready_pipe[2];
  if (::pipe2(ready_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    return reply_error(request_id, fmt::format("pipe: {}", std::strerror(errno)));
  }
  UniqueFd ready_read(ready_pipe[0]);
  UniqueFd ready_write(ready_pipe[1]);

  SpawnOptions options;
  options.argv = spec.argv;
  options.error_output = "/dev/console";
  options.die_with_parent = false;
  options.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/",
                 "HOTMEM_READY_FD=3", "HOTMEM_INSTANCE=" + spec.name};
  for (const auto& [k, v] : spec.env) options.env.push_back(k + "=" + v);
  options.pass_fds = {ready_write.get()};
  if (spec.node) {
    const int node = *spec.node;
    options.before_exec = [node] {
      unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {};
      mask[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
      if (::syscall(SYS_set_mempolicy, kMpolBind, mask, 1024UL) != 0) ::_exit(126);
    };
  }
  auto process = ChildProcess::spawn(options);
  if (!process) return reply_error(request_id, process.error().message());
  ready_write.reset();

  Instance instance{std::move(spec), std::move(*process), std::move(ready_read), false, {}, {}, {}, {}, {}};
  if (wait_ready) {
    instance.start_request = request_id;
    instance.ready_deadline = Clock::now() + ready_timeout;
  } else {
    reply_ok(request_id, json{{"pid", instance.process.pid()}});
  }
  const std::string name = instance.spec.name;
  instances_.emplace(name, std::move(instance));
}

void InstanceTable::stop(std::uint64_t request_id, const std::string& name, Clock::duration grace) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return reply_error(request_id, fmt::format("no instance '{}'", name));
  Instance& instance = it->second;
  if (instance.stop_request) return reply_error(request_id, fmt::format("instance '{}' is already stopping", name));
  instance.stop_request = request_id;
  if (instance.wait_status) return settle(it);
  ::kill(instance.process.pid(), SIGTERM);
  instance.kill_at = Clock::now() + grace;
}

json InstanceTable::list() const {
  json out = json::array();
  for (const auto& [name, instance] : instances_) {
    const char* state = instance.wait_status ? "exited"
                        : instance.stop_request ? "stopping"
                        : instance.ready        ? "running"
                                                : "starting";
    out.push_back(describe(name, instance.process.pid(), state, instance.wait_status));
  }
  return out;
}

void InstanceTable::poll_fds(std::vector<pollfd>& fds) const {
  for (const auto& [name, instance] : instances_) {
    if (instance.ready_fd.valid()) fds.push_back(pollfd{instance.ready_fd.get(), POLLIN, 0});
  }
}

void InstanceTable::mark_ready(Instance& instance) {
  instance.ready = true;
  instance.ready_fd.reset();
  instance.ready_deadline.reset();
  if (auto id = std::exchange(instance.start_request, std::nullopt)) {
    reply_ok(*id, json{{"pid", instance.process.pid()}});
  }
}

void InstanceTable::on_poll(const std::vector<pollfd>& fds) {
  for (const pollfd& p : fds) {
    if (p.revents == 0) continue;
    for (auto& [name, instance] : instances_) {
      if (instance.ready_fd.get() != p.fd) continue;
      char buf[64];
      const ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n > 0) {
        mark_ready(instance);
      } else if (n == 0) {
        instance.ready_fd.reset();  // closed without a word: readiness unknown
      }
      break;
    }
  }
}

bool InstanceTable::on_child_exit(pid_t pid, int status) {
  for (auto it = instances_.begin(); it != instances_.end(); ++it) {
    if (it->second.process.pid() != pid) continue;
    it->second.process.mark_reaped(status);
    it->second.wait_status = status;
    it->second.ready_fd.reset();
    settle(it);
    return true;
  }
  return false;
}

void InstanceTable::settle(std::map<std::string, Instance>::iterator it) {
  Instance& instance = it->second;
  const std::string ended = describe_wait_status(instance.wait_status.value_or(0));
  if (auto id = std::exchange(instance.start_request, std::nullopt)) {
    reply_error(*id, fmt::format("instance '{}' {} before it was ready", it->first, ended));
  }
  if (auto id = std::exchange(instance.stop_request, std::nullopt)) {
    reply_ok(*id, describe(it->first, instance.process.pid(), "exited", instance.wait_status));
    instances_.erase(it);
  }
}

void InstanceTable::tick() {
  const auto now = Clock::now();
  for (auto& [name, instance] : instances_) {
    if (instance.wait_status) continue;
    if (instance.kill_at && now >= *instance.kill_at) {
      ::kill(instance.process.pid(), SIGKILL);
      instance.kill_at.reset();
    }
    if (instance.ready_deadline && now >= *instance.ready_deadline) {
      instance.ready_deadline.reset();
      ::kill(instance.process.pid(), SIGKILL);
      if (auto id = std::exchange(instance.start_request, std::nullopt)) {
        reply_error(*id, fmt::format("instance '{}' was not ready in time and was killed", name));
      }
    }
  }
}

Clock::duration InstanceTable::until_next_deadline() const {
  Clock::duration next = std::chrono::seconds(1);
  const auto now = Clock::now();
  for (const auto& [name, instance] : instances_) {
    for (const auto& t : {instance.kill_at, instance.ready_deadline}) {
      if (t) next = std::min(next, std::max(Clock::duration::zero(), *t - now));
    }
  }
  return next;
}

}  // namespace hotmem::agent

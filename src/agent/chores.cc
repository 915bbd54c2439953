#include "agent/chores.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "agent/guest_system.h"

namespace hotmem::agent {

void Chores::offline_node(std::uint64_t request_id, int node, Clock::duration timeout) {
  const pid_t pid = ::fork();
  if (pid < 0) {
    reply_(protocol::error_response(request_id, fmt::format("fork: {}", std::strerror(errno))));
    return;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Offlining is kernel work done in this process's context: at SCHED_IDLE
    // it yields the vCPU to running instances (with preempt=full, at once),
    // so a neighbour's requests are not held up by a reclaim; tick() ends
    // that after kYieldFor.
    sched_param idle{};
    ::sched_setscheduler(0, SCHED_IDLE, &idle);
    auto done = offline_node_memory(node);
    if (!done) std::fprintf(stderr, "hotmem-agent: %s\n", done.error().message().c_str());
    ::_exit(done ? 0 : 1);
  }
  const auto now = Clock::now();
  chores_.push_back(Chore{request_id, pid, node, now, now + timeout});
}

bool Chores::on_child_exit(pid_t pid, int status) {
  auto it = std::find_if(chores_.begin(), chores_.end(), [pid](const Chore& c) { return c.pid == pid; });
  if (it == chores_.end()) return false;
  const protocol::NodeOffline offline{Clock::now() - it->started};
  const double elapsed = offline.elapsed.count();
  if (it->cancelled) {
    reply_(protocol::error_response(
        it->request_id, fmt::format("taking node {} offline was cancelled after {:.0f} ms: an instance starts there",
                                    it->node, elapsed)));
  } else if (it->killed) {
    reply_(protocol::error_response(
        it->request_id, fmt::format("taking node {} offline did not finish in {:.0f} ms: a page on it could not be moved",
                                    it->node, elapsed)));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    reply_(protocol::answer_response(it->request_id, offline));
  } else {
    reply_(protocol::error_response(it->request_id,
                                    fmt::format("taking node {} offline failed (see the guest console)", it->node)));
  }
  chores_.erase(it);
  return true;
}

bool Chores::owns(pid_t pid) const {
  return std::any_of(chores_.begin(), chores_.end(), [pid](const Chore& c) { return c.pid == pid; });
}

void Chores::cancel_node(int node) {
  std::vector<pid_t> ended;
  for (Chore& c : chores_) {
    if (c.node != node) continue;
    ::kill(c.pid, SIGKILL);  // a fatal signal ends the kernel's offlining loop
    c.cancelled = true;
    ended.push_back(c.pid);
  }
  for (pid_t pid : ended) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    on_child_exit(pid, status);
  }
}

void Chores::tick() {
  const auto now = Clock::now();
  for (Chore& c : chores_) {
    if (!c.killed && now >= c.deadline) {
      ::kill(c.pid, SIGKILL);
      c.killed = true;
    }
    if (!c.killed && c.yielding && now >= c.started + kYieldFor) {
      sched_param normal{};
      ::sched_setscheduler(c.pid, SCHED_OTHER, &normal);
      c.yielding = false;
    }
  }
}

Clock::duration Chores::until_next_deadline() const {
  Clock::duration next = std::chrono::seconds(1);
  const auto now = Clock::now();
  for (const Chore& c : chores_) {
    if (c.killed) continue;
    next = std::min(next, std::max(Clock::duration::zero(), c.deadline - now));
    if (c.yielding) next = std::min(next, std::max(Clock::duration::zero(), c.started + kYieldFor - now));
  }
  return next;
}

}  // namespace hotmem::agent

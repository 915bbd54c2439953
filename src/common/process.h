// RAII child processes. A ChildProcess is terminated and reaped when its
// owner drops it, on every path; by default it also dies with the owning
// process (PR_SET_PDEATHSIG), so a crashed or SIGKILLed owner leaves nothing.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace hotmem {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  // stdout and stderr are appended here; empty means /dev/null.
  std::filesystem::path output;
  // Own process group, so a terminal's Ctrl-C reaches only the owner, which
  // then tears its children down in order.
  bool new_process_group = true;
  // Deliver SIGKILL to the child when the owner's process dies (whichever
  // of its threads spawned it, and even if that thread has ended).
  bool die_with_parent = true;
  // Start a new session and survive the owner (used for `hotmem vm start`).
  bool detach = false;
  // stderr goes here instead of `output` when set.
  std::filesystem::path error_output;
  // When not -1: the child's stdout (and stderr, unless stderr_fd is given)
  // is this descriptor instead of `output`; its stderr that one instead of
  // `error_output` (pipes the owner reads, say).
  int stdout_fd = -1;
  int stderr_fd = -1;
  // The child's whole environment; empty means inherit ours.
  std::vector<std::string> env;
  // Descriptors handed to the child as fds 3, 4, ... (in this order).
  std::vector<int> pass_fds;
  // Runs in the child just before exec. Only for single-threaded owners
  // (the guest agent): after fork() in a threaded process it could deadlock.
  std::function<void()> before_exec;
};

// Where exec would find `program`: itself when it names a path (has a '/'),
// else the first executable file of that name in $PATH.
Result<std::filesystem::path> find_program(const std::string& program);

// How a process ended, e.g. "exited with status 1" or "killed by signal 9".
std::string describe_wait_status(int status);

class ChildProcess {
 public:
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  // True while the process has not exited (reaps it if it has).
  bool running();
  // The wait status once the process has been reaped.
  std::optional<int> wait_status() const { return status_; }
  // Waits up to `timeout` for exit; returns the wait status.
  Result<int> wait_for(Clock::duration timeout);
  // SIGTERM, then SIGKILL after `grace`; always reaps. Idempotent.
  void terminate(Clock::duration grace = std::chrono::seconds(3));
  // Forgets the process without stopping it (for detached daemons).
  pid_t release();
  // Records that the process was reaped elsewhere (by a reaper of all
  // children, such as the guest's init) with this wait status.
  void mark_reaped(int status) { status_ = status; }

 private:
  ChildProcess(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  bool reap(int flags);

  pid_t pid_ = -1;
  std::string name_;
  std::optional<int> status_;
};

}  // namespace hotmem

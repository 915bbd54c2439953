#include "common/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "common/unique_fd.h"

namespace hotmem {

Result<std::filesystem::path> find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) == 0) return std::filesystem::path(program);
    return Error(ErrorCode::kNotFound, fmt::format("cannot run {}: {}", program, std::strerror(errno)));
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (;;) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Error(ErrorCode::kNotFound, fmt::format("{} is not in PATH ({})", program, path ? path : ""));
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  }
  return fmt::format("ended with wait status {:#x}", status);
}

namespace {

// PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not
// its process: a child forked by a short-lived thread (std::async, a worker
// that finishes) would be killed with it. Children that must die with their
// owner are therefore forked by one thread that lives as long as the
// process. Its state is never destroyed, so exit() finds nothing to tear
// down under it.
class Spawner {
 public:
  static Spawner& instance() {
    static Spawner* spawner = new Spawner();
    return *spawner;
  }

  pid_t fork_child(const std::function<pid_t()>& fork) {
    std::packaged_task<pid_t()> task(fork);
    auto forked = task.get_future();
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return forked.get();
  }

 private:
  Spawner() { std::thread([this] { run(); }).detach(); }

  void run() {
    for (;;) {
      std::packaged_task<pid_t()> task;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<pid_t()>> tasks_;
};

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return Error("spawn: empty command line");
  const std::string& program = options.argv.front();

  // Everything the child needs is prepared before fork(): after it, the child
  // only makes async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : options.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  UniqueFd out(options.stdout_fd >= 0 ? ::fcntl(options.stdout_fd, F_DUPFD_CLOEXEC, 0)
               : options.output.empty()
                   ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
                   : ::open(options.output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!out.valid()) {
    return Error(fmt::format("cannot open {} for the output of {}: {}", options.output.string(), program,
                             std::strerror(errno)));
  }
  UniqueFd err;
  if (options.stderr_fd >= 0) {
    err.reset(::fcntl(options.stderr_fd, F_DUPFD_CLOEXEC, 0));
    if (!err.valid()) return Error(fmt::format("dup for the errors of {}: {}", program, std::strerror(errno)));
  } else if (!options.error_output.empty()) {
    err.reset(::open(options.error_output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!err.valid()) {
      return Error(fmt::format("cannot open {} for the errors of {}: {}", options.error_output.string(), program,
                               std::strerror(errno)));
    }
  }
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  // The child reports a failed exec through this pipe; it closes on success.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) return Error(fmt::format("pipe: {}", std::strerror(errno)));
  UniqueFd exec_read(exec_pipe[0]);
  UniqueFd exec_write(exec_pipe[1]);
  const pid_t parent = ::getpid();

  int fork_errno = 0;
  const auto fork = [&]() -> pid_t {
    const pid_t forked = ::fork();
    if (forked != 0) {
      fork_errno = errno;
      return forked;
    }
    if (options.detach) {
      ::setsid();
    } else {
      if (options.die_with_parent) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);  // the owner died before prctl
      }
      if (options.new_process_group) ::setpgid(0, 0);
    }
    // Signal dispositions set to "ignore" survive exec; give the child defaults.
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(devnull.get(), STDIN_FILENO);
    ::dup2(out.get(), STDOUT_FILENO);
    ::dup2(err.valid() ? err.get() : out.get(), STDERR_FILENO);
    // Move passed fds above the target range first, so that placing one
    // never overwrites another that is still to be placed.
    std::size_t n_pass = options.pass_fds.size();
    int moved[16];
    if (n_pass > 16) n_pass = 16;
    for (std::size_t i = 0; i < n_pass; ++i) moved[i] = ::fcntl(options.pass_fds[i], F_DUPFD_CLOEXEC, 64);
    for (std::size_t i = 0; i < n_pass; ++i) ::dup2(moved[i], 3 + static_cast<int>(i));  // dup2 clears CLOEXEC
    if (options.before_exec) options.before_exec();
    if (options.env.empty()) {
      ::execvp(argv[0], argv.data());
    } else {
      ::execvpe(argv[0], argv.data(), envp.data());
    }
    const int exec_errno = errno;
    [[maybe_unused]] auto n = ::write(exec_write.get(), &exec_errno, sizeof exec_errno);
    ::_exit(127);
  };
  const bool tied = options.die_with_parent && !options.detach;
  const pid_t pid = tied ? Spawner::instance().fork_child(fork) : fork();
  if (pid < 0) return Error(fmt::format("fork for {}: {}", program, std::strerror(fork_errno)));
  exec_write.reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    ::waitpid(pid, nullptr, 0);
    return Error(fmt::format("cannot run {}: {}", program, std::strerror(child_errno)));
  }
  return ChildProcess(pid, program);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), name_(std::move(other.name_)), status_(other.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    terminate();
    pid_ = std::exchange(other.pid_, -1);
    name_ = std::move(other.name_);
    status_ = other.status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() { terminate(); }

bool ChildProcess::reap(int flags) {
  if (pid_ < 0 || status_) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, flags);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = status;
    return true;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere: treat as gone
    status_ = 0;
    return true;
  }
  return false;
}

bool ChildProcess::running() { return pid_ >= 0 && !reap(WNOHANG); }

Result<int> ChildProcess::wait_for(Clock::duration timeout) {
  Deadline deadline(timeout);
  while (!reap(WNOHANG)) {
    if (deadline.expired()) {
      return Error(fmt::format("{} (pid {}) still running after {:.0f} ms", name_, pid_, to_ms(timeout)));
    }
    std::this_thread::sleep_for(Millis(5));
  }
  return status_.value_or(0);
}

void ChildProcess::terminate(Clock::duration grace) {
  if (pid_ < 0 || reap(WNOHANG)) return;
  ::kill(pid_, SIGTERM);
  if (wait_for(grace).ok()) return;
  ::kill(pid_, SIGKILL);
  reap(0);
}

pid_t ChildProcess::release() {
  status_ = 0;
  return std::exchange(pid_, -1);
}

}  // namespace hotmem

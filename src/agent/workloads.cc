#include "agent/workloads.h"

#include "agent/action_server.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>
#include <ctime>

namespace hotmem::agent {
namespace {

int usage() {
  std::fprintf(stderr,
               "usage: hotmem-agent workload touch --mib N [--file-mib F] [--seed S] [--verify 0|1]\n"
               "       hotmem-agent workload serve --mib N [--work-kib K] [--period-us P] [--bucket-ms B] [--seed S]\n"
               "       hotmem-agent workload action [--mib HOLD]   (serves on 127.0.0.1:$PORT)\n");
  return 2;
}

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_window_start = 0;
volatile sig_atomic_t g_window_end = 0;
void on_term(int) { g_stop = 1; }
void on_usr1(int) { g_window_start = 1; }
void on_usr2(int) { g_window_end = 1; }

void handle(int signo, void (*fn)(int)) {
  struct sigaction sa {};
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  ::sigaction(signo, &sa, nullptr);
}

// The instance's status pipe (fd $HOTMEM_READY_FD), or -1.
int status_fd() {
  const char* fd_text = std::getenv("HOTMEM_READY_FD");
  return fd_text ? std::atoi(fd_text) : -1;
}

void write_line(int fd, const std::string& line) {
  std::size_t done = 0;
  while (fd >= 0 && done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        ::usleep(1000);
        continue;
      }
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

std::uint64_t pattern(std::uint64_t seed, std::size_t i) { return seed ^ (i * 0x9E3779B97F4A7C15ULL); }

// Writes `mib` MiB into a file in $TMPDIR (the instance's tmpfs scratch):
// shmem pages, which must be freed with the scratch when the instance ends.
bool write_scratch_file(std::uint64_t mib) {
  if (mib == 0) return true;
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/touch.dat";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  static char block[1 << 20];
  std::memset(block, 0x5a, sizeof block);
  bool ok = true;
  for (std::uint64_t i = 0; i < mib && ok; ++i) ok = std::fwrite(block, 1, sizeof block, f) == sizeof block;
  return std::fclose(f) == 0 && ok;
}


// Holds the memory until SIGTERM, then (with `verify`) checks every word and
// exits 0 if the content is intact, 3 if not: the host learns from the exit
// status whether anything (a reclaim of a neighbour, say) disturbed this
// instance. Without `verify` it exits at once, as an idle instance would.
int touch(std::uint64_t mib, std::uint64_t file_mib, std::uint64_t seed, bool verify) {
  handle(SIGTERM, on_term);
  const std::size_t bytes = mib << 20;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "touch: mmap of %llu MiB failed: %s\n", static_cast<unsigned long long>(mib),
                 std::strerror(errno));
    return 1;
  }
  auto* words = static_cast<std::uint64_t*>(p);
  const std::size_t n = bytes / sizeof(std::uint64_t);
  for (std::size_t i = 0; i < n; ++i) words[i] = pattern(seed, i);
  if (!write_scratch_file(file_mib)) {
    std::fprintf(stderr, "touch: cannot write %llu MiB to the scratch\n", static_cast<unsigned long long>(file_mib));
    return 1;
  }
  write_line(status_fd(), "ready\n");
  ::close(status_fd());
  while (!g_stop) ::pause();
  for (std::size_t i = 0; verify && i < n; ++i) {
    if (words[i] != pattern(seed, i)) {
      std::fprintf(stderr, "touch: memory corrupted at word %zu\n", i);
      return 3;
    }
  }
  return 0;
}

std::uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

// The latencies of one measurement window of `serve`, and its report line.
class LatencyWindow {
 public:
  explicit LatencyWindow(std::uint64_t bucket_ms) : bucket_ns_(bucket_ms * 1000000ULL) {}

  void open(std::uint64_t now) {
    opened_ = now;
    samples_.clear();
    count_.clear();
    sum_us_.clear();
  }
  void add(std::uint64_t end, std::uint32_t latency_us) {
    if (bucket_ns_ == 0) {
      if (samples_.size() < (1u << 20)) samples_.push_back(latency_us);
      return;
    }
    const std::uint64_t bucket = (end - opened_) / bucket_ns_;
    if (bucket >= kMaxBuckets) return;
    if (bucket >= count_.size()) {
      count_.resize(bucket + 1, 0);
      sum_us_.resize(bucket + 1, 0);
    }
    ++count_[bucket];
    sum_us_[bucket] += latency_us;
  }
  // Raw samples: {"window": n, "samples_us": [...]}; with buckets:
  // {"window": n, "bucket_ms": B, "count": [...], "sum_us": [...]}, bucket i
  // holding the requests that ended i*B to (i+1)*B ms after the window opened.
  std::string report(int window) const {
    std::string line = "{\"window\":" + std::to_string(window);
    if (bucket_ns_ == 0) {
      line += ",\"samples_us\":" + list(samples_);
    } else {
      line += ",\"bucket_ms\":" + std::to_string(bucket_ns_ / 1000000ULL) + ",\"count\":" + list(count_) +
              ",\"sum_us\":" + list(sum_us_);
    }
    return line + "}\n";
  }

 private:
  static constexpr std::uint64_t kMaxBuckets = 4096;

  template <typename T>
  static std::string list(const std::vector<T>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(values[i]);
    }
    return out + "]";
  }

  std::uint64_t bucket_ns_;
  std::uint64_t opened_ = 0;
  std::vector<std::uint32_t> samples_;
  std::vector<std::uint64_t> count_;
  std::vector<std::uint64_t> sum_us_;
};

// A latency-sensitive instance: holds `mib` MiB and every `period_us`
// (0: one request after the other, a closed loop) serves one request,
// reading and writing `work_kib` KiB at random places in that memory, timing
// each. SIGUSR1 opens a measurement window; SIGUSR2 ends it and reports it as
// one line on the status pipe (LatencyWindow::report: every latency, or with
// `bucket_ms` their count and sum per bucket of the window).
int serve(std::uint64_t mib, std::uint64_t work_kib, std::uint64_t period_us, std::uint64_t bucket_ms,
          std::uint64_t seed) {
  handle(SIGTERM, on_term);
  handle(SIGUSR1, on_usr1);
  handle(SIGUSR2, on_usr2);
  const std::size_t bytes = mib << 20;
  auto* memory = static_cast<unsigned char*>(
      ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (memory == MAP_FAILED) return 1;
  std::memset(memory, 0x11, bytes);
  const int fd = status_fd();
  write_line(fd, "ready\n");
  LatencyWindow latencies(bucket_ms);
  latencies.open(now_ns());
  std::uint64_t rng = seed | 1;
  int window = 0;
  const std::size_t lines = work_kib * 1024 / 64;
  std::uint64_t next = now_ns();
  while (!g_stop) {
    if (g_window_start) {
      g_window_start = 0;
      latencies.open(now_ns());
    }
    if (g_window_end) {
      g_window_end = 0;
      write_line(fd, latencies.report(++window));
      latencies.open(now_ns());
    }
    const std::uint64_t start = now_ns();
    unsigned sum = 0;
    for (std::size_t i = 0; i < lines; ++i) {
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      unsigned char* p = memory + ((rng >> 16) % (bytes - 64));
      sum += p[0];
      p[32] = static_cast<unsigned char>(sum);
    }
    const std::uint64_t end = now_ns();
    latencies.add(end, static_cast<std::uint32_t>(std::min<std::uint64_t>((end - start) / 1000, UINT32_MAX)));
    if (period_us == 0) continue;
    next += period_us * 1000;
    const std::uint64_t t = now_ns();
    if (next > t) {
      timespec sleep{static_cast<time_t>((next - t) / 1000000000ULL), static_cast<long>((next - t) % 1000000000ULL)};
      ::nanosleep(&sleep, nullptr);
    } else {
      next = t;  // fell behind (the CPU was taken): do not burst to catch up
    }
  }
  return 0;
}

}  // namespace

int run_workload(int argc, char** argv) {
  if (argc < 1) return usage();
  const std::string_view kind = argv[0];
  std::uint64_t mib = 0;
  std::uint64_t seed = 1;
  std::uint64_t file_mib = 0;
  std::uint64_t work_kib = 64;
  std::uint64_t period_us = 2000;
  std::uint64_t bucket_ms = 0;
  std::uint64_t verify = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    char* end = nullptr;
    const unsigned long long value = std::strtoull(argv[i + 1], &end, 10);
    if (*end != '\0') return usage();
    if (flag == "--mib") {
      mib = value;
    } else if (flag == "--file-mib") {
      file_mib = value;
    } else if (flag == "--work-kib") {
      work_kib = value;
    } else if (flag == "--period-us") {
      period_us = value;
    } else if (flag == "--verify") {
      verify = value;
    } else if (flag == "--bucket-ms") {
      bucket_ms = value;
    } else if (flag == "--seed") {
      seed = value;
    } else {
      return usage();
    }
  }
  if (kind == "action") {
    const char* port = std::getenv("PORT");
    const int p = port ? std::atoi(port) : 0;
    if (p < 1024 || p > 65535 || mib >= (1ULL << 24)) return usage();
    return run_action_server(p, mib, [] {
      write_line(status_fd(), "ready\n");
      ::close(status_fd());
    });
  }
  if (kind == "touch" && mib > 0 && mib < (1ULL << 24) && file_mib < (1ULL << 24) && verify <= 1) {
    return touch(mib, file_mib, seed, verify == 1);
  }
  if (kind == "serve" && mib > 0 && mib < (1ULL << 24) && work_kib > 0 && work_kib < (mib << 10) &&
      (period_us == 0 || (period_us >= 100 && period_us <= 1000000)) && bucket_ms <= 10000) {
    return serve(mib, work_kib, period_us, bucket_ms, seed);
  }
  return usage();
}

}  // namespace hotmem::agent

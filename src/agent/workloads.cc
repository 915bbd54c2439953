#include "agent/workloads.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace hotmem::agent {
namespace {

int usage() {
  std::fprintf(stderr, "usage: hotmem-agent workload touch --mib N [--file-mib F] [--seed S]\n");
  return 2;
}

volatile sig_atomic_t g_stop = 0;
void on_term(int) { g_stop = 1; }

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

void report_ready() {
  const char* fd_text = std::getenv("HOTMEM_READY_FD");
  if (!fd_text) return;
  const int fd = std::atoi(fd_text);
  [[maybe_unused]] auto n = ::write(fd, "ready\n", 6);
  ::close(fd);
}

// Holds the memory until SIGTERM, then checks every word and exits 0 if the
// content is intact, 3 if not: the host learns from the exit status whether
// anything (a reclaim of a neighbour, say) disturbed this instance.
int touch(std::uint64_t mib, std::uint64_t file_mib, std::uint64_t seed) {
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
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
  report_ready();
  while (!g_stop) ::pause();
  for (std::size_t i = 0; i < n; ++i) {
    if (words[i] != pattern(seed, i)) {
      std::fprintf(stderr, "touch: memory corrupted at word %zu\n", i);
      return 3;
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
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    char* end = nullptr;
    const unsigned long long value = std::strtoull(argv[i + 1], &end, 10);
    if (*end != '\0') return usage();
    if (flag == "--mib") {
      mib = value;
    } else if (flag == "--file-mib") {
      file_mib = value;
    } else if (flag == "--seed") {
      seed = value;
    } else {
      return usage();
    }
  }
  if (kind == "touch" && mib > 0 && mib < (1ULL << 24) && file_mib < (1ULL << 24)) return touch(mib, file_mib, seed);
  return usage();
}

}  // namespace hotmem::agent

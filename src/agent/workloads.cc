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
  std::fprintf(stderr, "usage: hotmem-agent workload touch --mib N [--seed S]\n");
  return 2;
}

void report_ready() {
  const char* fd_text = std::getenv("HOTMEM_READY_FD");
  if (!fd_text) return;
  const int fd = std::atoi(fd_text);
  [[maybe_unused]] auto n = ::write(fd, "ready\n", 6);
  ::close(fd);
}

int touch(std::uint64_t mib, std::uint64_t seed) {
  const std::size_t bytes = mib << 20;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "touch: mmap of %llu MiB failed: %s\n", static_cast<unsigned long long>(mib),
                 std::strerror(errno));
    return 1;
  }
  auto* words = static_cast<std::uint64_t*>(p);
  const std::size_t n = bytes / sizeof(std::uint64_t);
  for (std::size_t i = 0; i < n; ++i) words[i] = seed ^ (i * 0x9E3779B97F4A7C15ULL);
  report_ready();
  for (;;) ::pause();  // until SIGTERM or SIGKILL
}

}  // namespace

int run_workload(int argc, char** argv) {
  if (argc < 1) return usage();
  const std::string_view kind = argv[0];
  std::uint64_t mib = 0;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    char* end = nullptr;
    const unsigned long long value = std::strtoull(argv[i + 1], &end, 10);
    if (*end != '\0') return usage();
    if (flag == "--mib") {
      mib = value;
    } else if (flag == "--seed") {
      seed = value;
    } else {
      return usage();
    }
  }
  if (kind == "touch" && mib > 0 && mib < (1ULL << 24)) return touch(mib, seed);
  return usage();
}

}  // namespace hotmem::agent

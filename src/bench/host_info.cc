#include "bench/host_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <sstream>

#include <fmt/format.h>

#include "common/proc_stats.h"
#include "vmm/accel.h"

namespace hotmem::bench {
namespace {

std::string cpu_model() {
  auto cpuinfo = read_text_file("/proc/cpuinfo", 4 << 20);
  if (!cpuinfo) return "unknown";
  std::istringstream in(*cpuinfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::uint64_t mem_total_bytes() {
  auto meminfo = read_text_file("/proc/meminfo");
  if (!meminfo) return 0;
  std::istringstream in(*meminfo);
  std::string key;
  std::uint64_t kib = 0;
  in >> key >> kib;
  return key == "MemTotal:" ? kib * 1024 : 0;
}

}  // namespace

nlohmann::json host_info(vmm::Accel accel) {
  utsname u{};
  ::uname(&u);
  char date[32] = {};
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return nlohmann::json{{"accel", to_string(vmm::resolve_accel(accel))},
                        {"cpu_model", cpu_model()},
                        {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
                        {"mem_total_bytes", mem_total_bytes()},
                        {"kernel", u.release},
                        {"date", date}};
}

}  // namespace hotmem::bench

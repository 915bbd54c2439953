#include "vmm/accel.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace hotmem::vmm {

bool cpu_flags_have_virtualization(std::string_view cpuinfo) {
  std::size_t pos = 0;
  while (pos < cpuinfo.size()) {
    std::size_t end = cpuinfo.find('\n', pos);
    if (end == std::string_view::npos) end = cpuinfo.size();
    std::string_view line = cpuinfo.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with("flags")) continue;
    std::istringstream words{std::string(line)};
    std::string w;
    while (words >> w) {
      if (w == "vmx" || w == "svm") return true;
    }
  }
  return false;
}

Accel resolve_accel(Accel requested) {
  if (requested != Accel::kAuto) return requested;
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  text << in.rdbuf();
  if (!cpu_flags_have_virtualization(text.str())) return Accel::kTcg;
  const int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Accel::kTcg;
  ::close(fd);
  return Accel::kKvm;
}

}  // namespace hotmem::vmm

#include "agent/control_port.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "common/proc_stats.h"

namespace hotmem::agent {
namespace {

// /dev/vportNpM whose sysfs name is `port_name`, if it exists yet.
std::string find_port(const std::string& port_name) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/virtio-ports", ec)) {
    auto name = read_text_file(entry.path() / "name", 256);
    if (!name) continue;
    std::string n = *name;
    while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
    if (n == port_name) return "/dev/" + entry.path().filename().string();
  }
  return {};
}

}  // namespace

Result<UniqueFd> open_control_port(const std::string& port_name, Clock::duration timeout) {
  Deadline deadline(timeout);
  std::string last_error = "it does not exist";
  for (;;) {
    const std::string path = find_port(port_name);
    if (!path.empty()) {
      UniqueFd fd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
      if (fd.valid()) return fd;
      last_error = fmt::format("{}: {}", path, std::strerror(errno));
    }
    if (deadline.expired()) break;
    std::this_thread::sleep_for(Millis(20));
  }
  return Error(fmt::format("virtio-serial port {} unavailable: {}", port_name, last_error));
}

}  // namespace hotmem::agent

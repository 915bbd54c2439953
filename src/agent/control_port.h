// The guest end of the host-agent control channel: a virtio-serial port
// named org.hotmem.agent, found through sysfs and opened non-blocking.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace hotmem::agent {

// Waits (up to `timeout`) for the port to appear and opens it.
Result<UniqueFd> open_control_port(const std::string& port_name, Clock::duration timeout);

}  // namespace hotmem::agent

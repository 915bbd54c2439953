// Names both ends of the host-agent control channel agree on.
#pragma once

namespace hotmem::protocol {

// The virtio-serial port the agent listens on (its sysfs "name").
inline constexpr const char* kAgentPortName = "org.hotmem.agent";

}  // namespace hotmem::protocol

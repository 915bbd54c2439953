// hotmem-agent: the guest's init (started by the image's /init script) and,
// as `hotmem-agent workload ...`, the built-in workloads.
#include <cstdio>
#include <cstring>

#include "agent/agent.h"
#include "agent/control_port.h"
#include "agent/workloads.h"
#include "protocol/channel.h"

int main(int argc, char** argv) {
  using namespace hotmem;
  if (argc >= 2 && std::strcmp(argv[1], "workload") == 0) return agent::run_workload(argc - 2, argv + 2);
  if (argc >= 2) {
    std::fprintf(stderr, "usage: hotmem-agent            (as the guest's init)\n"
                         "       hotmem-agent workload touch --mib N [--seed S]\n");
    return 2;
  }
  auto port = agent::open_control_port(protocol::kAgentPortName, std::chrono::seconds(60));
  if (!port) {
    std::fprintf(stderr, "hotmem-agent: %s\n", port.error().message().c_str());
    return 1;
  }
  agent::Agent agent(std::move(*port));
  return agent.run();
}

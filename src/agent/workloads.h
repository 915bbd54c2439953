// Workloads the agent binary runs as instances (`hotmem-agent workload ...`),
// so tests and benchmarks need nothing but the guest image.
#pragma once

namespace hotmem::agent {

// `touch --mib N [--seed S]`: maps N MiB of anonymous memory, writes a
// pattern derived from S into every page, reports readiness on
// $HOTMEM_READY_FD and holds the memory until it is terminated.
int run_workload(int argc, char** argv);

}  // namespace hotmem::agent

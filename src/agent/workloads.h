// Workloads the agent binary runs as instances (`hotmem-agent workload ...`),
// so tests and benchmarks need nothing but the guest image.
#pragma once

namespace hotmem::agent {

// `touch --mib N [--file-mib F] [--seed S]`: maps N MiB of anonymous memory,
// writes a pattern derived from S into every page, writes F MiB into a file
// in $TMPDIR, reports readiness on $HOTMEM_READY_FD and holds the memory
// until SIGTERM; then verifies it: exit 0 if intact, 3 if corrupted.
int run_workload(int argc, char** argv);

}  // namespace hotmem::agent

// Workloads the agent binary runs as instances (`hotmem-agent workload ...`),
// so tests and benchmarks need nothing but the guest image.
#pragma once

namespace hotmem::agent {

// `touch --mib N [--file-mib F] [--seed S]`: maps N MiB of anonymous memory,
// writes a pattern derived from S into every page, writes F MiB into a file
// in $TMPDIR, reports readiness on $HOTMEM_READY_FD and holds the memory
// until SIGTERM; then verifies it: exit 0 if intact, 3 if corrupted.
// `serve --mib N [--work-kib K] [--period-us P]`: a latency-sensitive
// instance that times one small request every P us and reports the latencies
// of a window (SIGUSR1 opens it, SIGUSR2 reports it) on its status pipe.
// `action [--mib HOLD]`: the native OpenWhisk action (see action_server.h).
int run_workload(int argc, char** argv);

}  // namespace hotmem::agent

// Workloads the agent binary runs as instances (`hotmem-agent workload ...`),
// so tests and benchmarks need nothing but the guest image.
#pragma once

namespace hotmem::agent {

// `touch --mib N [--file-mib F] [--seed S] [--verify 0|1]`: maps N MiB of
// anonymous memory, writes a pattern derived from S into every page, writes
// F MiB into a file in $TMPDIR, reports readiness on $HOTMEM_READY_FD and
// holds the memory until SIGTERM; then verifies it (unless --verify 0):
// exit 0 if intact, 3 if corrupted.
// `serve --mib N [--work-kib K] [--period-us P] [--bucket-ms B]`: a
// latency-sensitive instance that times one small request every P us (P 0:
// one after the other) and reports the latencies of a window (SIGUSR1 opens
// it, SIGUSR2 reports it) on its status pipe: each one, or with B their
// count and sum per B ms of the window.
// `action [--mib HOLD]`: the native OpenWhisk action (see action_server.h).
int run_workload(int argc, char** argv);

}  // namespace hotmem::agent

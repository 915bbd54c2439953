// The native function of HotMem's runtime (`hotmem-agent workload action`):
// an OpenWhisk-protocol action server, so tests and benchmarks run real
// invocations without the Python root filesystem.
//
//   POST /init  {"value": {...}}  -> 200 {"ok": true}
//   POST /run   {"value": {"mib": M, "ms": T, "seed": S, "echo": X}}
//               -> 200 {"mib": M, "checksum": C, "echo": X}
// Each run touches M MiB of fresh anonymous memory (on the instance's
// partition), checksums it, frees it and sleeps T ms. Bad input gets a 400
// with {"error"}. One activation at a time, as OpenWhisk does.
#pragma once

#include <cstdint>
#include <functional>

namespace hotmem::agent {

// Serves on 127.0.0.1:`port` until SIGTERM. `hold_mib` MiB are touched at
// start and held (the runtime's resident part); `ready` runs once listening.
int run_action_server(int port, std::uint64_t hold_mib, const std::function<void()>& ready);

}  // namespace hotmem::agent

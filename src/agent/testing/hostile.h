// Test-only fault injection: a guest that turns on its host, for the host's
// robustness tests. It sits in agent/testing/ because production never uses
// it, yet it is compiled into the agent, because the end-to-end fault tests
// (tests/e2e/faults_test.cc) boot the real guest image and need the real
// agent to misbehave. Booted with hotmem.hostile=<how> on its kernel command
// line (the host chooses that line, so a production VM never has it), the
// agent behaves until the first invocation reaches it, then:
//
//   garbage  writes bytes that are no frame (a bad magic and a huge length)
//   flood    answers, as fast as the port takes it, a call long answered,
//            with the largest body a frame may carry, and reads nothing
//   silent   stops reading and answering, but lives on
//   lie      answers the invocation with an impossible status and time, and
//            reports memory it does not have and counters that run backwards
//   die      exits (the guest kernel panics: init died)
//
// or, booted with hotmem.hostile=on-request, behaves until an invocation's
// parameters ask for one of these ({"hotmem_hostile": "silent"}), so a
// guest can turn at a moment the host's test chooses, and a VM booted
// again after it failed behaves until asked again (`hotmem bench chaos`).
//
// A real hostile guest can do all of this and worse; the host must stay
// up, keep its books straight and fail that VM alone.
#pragma once

#include <string_view>

#include "common/unique_fd.h"
#include "protocol/agent_calls.h"

namespace hotmem::agent {

enum class Hostility { kNone, kGarbage, kFlood, kSilent, kLie, kDie, kOnRequest };

// From a kernel command line; kNone when it says nothing (or nonsense).
Hostility hostility_from_cmdline(std::string_view cmdline);

// For kOnRequest: what an invocation's body ({"value": {"hotmem_hostile":
// "<how>", ...}}) asks for; kNone when it asks for nothing (or nonsense).
Hostility hostility_requested(std::string_view invoke_body);

// What to do instead of serving invocation `id`; returns normally only for
// kNone, kOnRequest and kLie (after which the agent carries on).
void turn_hostile(Hostility how, int port, std::uint64_t id);

// kLie's memory report: absurd node sizes and a pgmigrate_success below any
// earlier one.
protocol::MemoryReportTexts lying_memory_report();

}  // namespace hotmem::agent

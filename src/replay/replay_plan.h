// Turns a trace into what one machine can replay: the trace's functions are
// grouped by benchmark family, each family becomes one deployed function
// (one N:1 VM) running the shipped function that models it, and the
// invocation rate and length are scaled down. Arrivals are Poisson within
// each (compressed) minute, from a fixed seed, so every mode replays the
// very same sequence.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "replay/trace.h"
#include "serve/function_spec.h"

namespace hotmem::replay {

struct ReplayScale {
  double rate_rps = 1.0;                      // the whole replay's mean rate
  Clock::duration minute = std::chrono::seconds(20);  // one trace minute lasts this long
  std::size_t minutes = 5;                    // trace minutes replayed (from the first)
  std::size_t max_functions = 3;              // busiest families deployed
  int concurrency = 4;
  std::chrono::seconds keep_alive{10};
  double duration_scale = 1.0;                // applied to each function's mean duration
  // Native action: the share of a family's memory an instance keeps
  // resident from its start to its end (a warm runtime's heap and caches);
  // each invocation touches the rest afresh. So an idle instance holds
  // memory, and a reclaim happens beside live neighbours' pages.
  double resident_share = 0.5;
  std::uint64_t seed = 42;
  // Sources of the shipped Python functions, by name (see shipped_function).
  // A family modelled by one of them runs it with the trace's payload; any
  // other family (every one, when this is empty) runs the native action,
  // which holds the catalog's memory for the trace's mean duration.
  std::map<std::string, std::string> python_functions;
};

// The shipped Python function (functions/python/<name>.py) that models a
// benchmark family, or "" when none does.
std::string shipped_function(const std::string& family);

struct ReplayFunction {
  serve::FunctionSpec spec;  // name = the family
  std::uint64_t trace_invocations = 0;
};

struct Arrival {
  Clock::duration at{};
  std::size_t function = 0;  // index into ReplayPlan::functions
  nlohmann::json params;
};

struct ReplayPlan {
  std::vector<ReplayFunction> functions;
  std::vector<Arrival> arrivals;  // sorted by `at`
  Clock::duration length{};
  nlohmann::json to_json() const;  // the plan's summary, for the result file
};

// Memory the benchmark families need, from the FunctionBench catalog
// (family -> largest mem_mib seen); empty when the catalog is unavailable.
std::map<std::string, std::uint64_t> family_memory(const nlohmann::json& catalog);

Result<ReplayPlan> plan_replay(const Trace& trace, const std::map<std::string, std::uint64_t>& memory,
                               const ReplayScale& scale);

}  // namespace hotmem::replay

// `hotmem bench one-to-one`: the N:1 model against the 1:1 model (the
// paper's Fig. 11), for a native and a Python function.
//   1:1: a cold start boots a VM for the instance (host::one_to_one_spec:
//        1 vCPU, the instance's memory from boot), then starts it;
//   N:1: a cold start plugs the instance's memory into a running VM (the
//        memory mode's, hotmem by default) and starts it there, beside the
//        instances started before it, which keep running.
// A cold start is broken down into the VMM's part (1:1: the VM's boot,
// from starting QEMU to the deployment being ready; N:1: the plug, as the
// VMM reported it), the sandbox start (the instance's start beyond the plug
// and the /init: its sandbox, and the first time in a VM, every time for
// 1:1, reading its runtime's files into node 0; hotmem overlaps the sandbox
// with the plug, so what overlaps counts as plug), the function's /init and
// its first /run, all timed on the host. Memory per instance:
// a 1:1 VM's QEMU RSS after its first /run, against what an N:1 VM's RSS
// grew by over a cold start and first /run (and, for both, the VM's RSS
// before any instance ran in it). The two models take turns in
// each round (the order alternating), so a noisy stretch of the host hits
// both alike. The N:1 VM first runs one instance that is not measured: an
// N:1 cold start happens in a VM that already serves the function.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/experiment.h"

namespace hotmem::bench {

struct OneToOneBenchConfig {
  std::vector<std::string> runtimes{"native", "python"};
  std::uint64_t instance_mib = 256;  // each instance's memory limit
  int starts = 5;                    // cold starts per model and runtime
  std::string mode = "hotmem";       // the N:1 VM's memory mode
  // The Python function (functions/python/<name>.py) and its parameters.
  std::string python_function = "json_serdes";
  nlohmann::json python_params = nlohmann::json{{"n", 1024}};
  // The native action (the agent's own action server): what its /run touches.
  nlohmann::json native_params = nlohmann::json{{"mib", 32}, {"ms", 0}};
  Clock::duration settle = std::chrono::seconds(1);

  int steps() const { return static_cast<int>(runtimes.size()) * starts * 2; }
};

Status validate(const OneToOneBenchConfig& config);

// One cold start and the memory it added.
struct ColdStartSample {
  double vmm_ms = 0;      // 1:1: the VM's boot; N:1: the plug
  double sandbox_ms = 0;  // the instance's start beyond the plug and the /init
  double init_ms = 0;     // its /init
  double exec_ms = 0;     // its first /run
  double total_ms = 0;    // from asking for the instance to the first /run's answer
  double memory_mib = 0;  // 1:1: the VM's QEMU RSS; N:1: what the VM's RSS grew by
};

// The two result rows of a runtime, 1:1 first (see docs/results-format.md);
// the N:1 row has the ratios N:1 / 1:1 of the medians.
std::vector<nlohmann::json> one_to_one_rows(const std::string& runtime, const std::string& mode,
                                            const std::vector<ColdStartSample>& one_to_one,
                                            const std::vector<ColdStartSample>& n_to_one);

Result<nlohmann::json> run_one_to_one_bench(const OneToOneBenchConfig& config, const ExperimentContext& context);
std::string format_one_to_one_table(const nlohmann::json& document);

}  // namespace hotmem::bench

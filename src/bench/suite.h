// `hotmem bench all`: every experiment, sized for this machine (2 cores,
// 24 GiB), or reduced with --quick to finish in about 25 minutes here.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "bench/chaos_bench.h"
#include "bench/colocation_bench.h"
#include "bench/cpu_bench.h"
#include "bench/floor_bench.h"
#include "bench/interference_bench.h"
#include "bench/one_to_one_bench.h"
#include "bench/plug_bench.h"
#include "bench/reclaim_bench.h"
#include "bench/scale_bench.h"

namespace hotmem::bench {

struct SuitePlan {
  ReclaimBenchConfig sizes;
  ReclaimBenchConfig utilization;
  CpuBenchConfig cpu;
  InterferenceConfig interference;
  ColocationConfig colocation;
  PlugBenchConfig plug;
  ScaleBenchConfig scale;
  // Not in the smoke run: BenchCli.FloorAgainstUnusedMemory runs it on its own.
  std::optional<FloorBenchConfig> floor;
  OneToOneBenchConfig one_to_one;
  std::optional<ChaosConfig> chaos;  // not in the smoke run: its minutes would double it
};

enum class SuiteSize { kFull, kQuick, kSmoke };

// kSmoke: every experiment on the smallest settings that still measure
// something (a few minutes); for the end-to-end test of bench + report.
SuitePlan suite_plan(SuiteSize size);

// Runs every experiment; writes <out>/<experiment>.json as each finishes and
// passes its table to `print`. A chaos run that did not pass (chaos_verdict)
// is an error once everything ran.
Status run_suite(const SuitePlan& plan, const ExperimentContext& context, const std::filesystem::path& out,
                 const std::function<void(const std::string&)>& print);

Status write_json(const std::filesystem::path& path, const nlohmann::json& document);

}  // namespace hotmem::bench

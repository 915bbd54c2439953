#include "bench/suite.h"

#include <fstream>

#include <fmt/format.h>

namespace hotmem::bench {

SuitePlan suite_plan(SuiteSize size) {
  const bool quick = size != SuiteSize::kFull;
  SuitePlan p;
  const std::vector<std::string> reclaiming{"hotmem", "virtio-mem", "balloon"};

  p.sizes.benchmark = "sizes";
  p.sizes.modes = reclaiming;
  p.sizes.instances = 20;
  p.sizes.workload = WorkloadShape{128, 16, 32};
  p.sizes.utilizations = {0.9};
  p.sizes.init_on_alloc = {0, 1};
  p.sizes.reclaim_mibs = quick ? std::vector<std::uint64_t>{256, 1024} : std::vector<std::uint64_t>{128, 256, 512, 1024, 2048};
  p.sizes.repeat = quick ? 1 : 3;

  p.utilization.benchmark = "utilization";
  p.utilization.modes = reclaiming;
  p.utilization.instances = quick ? 6 : 10;
  p.utilization.workload = WorkloadShape{512, 16, 32};
  p.utilization.reclaim_mibs = {512};
  p.utilization.utilizations = quick ? std::vector<double>{0.2, 0.5, 1.0}
                                     : std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  p.utilization.repeat = quick ? 2 : 5;

  p.cpu.modes = reclaiming;
  p.cpu.instances = quick ? 6 : 8;
  p.cpu.workload = WorkloadShape{256, 16, 32};
  p.cpu.reclaim_mib = quick ? 512 : 1024;
  p.cpu.reclaims = quick ? 3 : 5;
  p.cpu.init_on_alloc = quick ? std::vector<int>{0} : std::vector<int>{0, 1};

  p.interference.modes = reclaiming;
  p.interference.instances = quick ? 6 : 8;
  p.interference.workload = WorkloadShape{256, 16, 32};
  p.interference.windows = quick ? 3 : 5;

  p.colocation.repeat = quick ? 1 : 3;

  p.plug.repeat = quick ? 7 : 15;

  p.floor.emplace();
  if (quick) {
    p.floor->instances = 6;
    p.floor->repeat = 3;
  }

  if (quick) {
    p.scale.partitions = 16;
    p.scale.reclaim_counts = {1, 8};
    p.scale.repeat = 2;
  }

  if (quick) p.one_to_one.starts = 3;

  p.chaos.emplace();
  p.chaos->minutes = quick ? 2 : 10;
  p.chaos->quick = quick;

  if (size == SuiteSize::kSmoke) {
    const std::vector<std::string> two{"hotmem", "virtio-mem"};
    p.sizes.modes = two;
    p.sizes.instances = 4;
    p.sizes.reclaim_mibs = {128, 256};
    p.sizes.init_on_alloc = {0};
    p.sizes.settle = std::chrono::milliseconds(200);
    p.utilization.modes = two;
    p.utilization.instances = 3;
    p.utilization.workload = WorkloadShape{128, 16, 32};
    p.utilization.reclaim_mibs = {128};
    p.utilization.utilizations = {0.3, 1.0};
    p.utilization.repeat = 1;
    p.utilization.settle = std::chrono::milliseconds(200);
    p.cpu.modes = two;
    p.cpu.instances = 3;
    p.cpu.workload = WorkloadShape{128, 16, 32};
    p.cpu.reclaim_mib = 128;
    p.cpu.reclaims = 1;
    p.cpu.settle = std::chrono::milliseconds(200);
    p.interference.modes = two;
    p.interference.instances = 3;
    p.interference.reclaim_mib = 256;
    p.interference.windows = 1;
    p.interference.settle = std::chrono::milliseconds(200);
    p.colocation.modes = two;
    p.colocation.serving = 2;
    p.colocation.evicted = 2;
    p.colocation.workload = WorkloadShape{128, 16, 32};
    p.colocation.before_s = 2;
    p.colocation.after_s = 3;
    p.colocation.settle = std::chrono::milliseconds(500);
    p.plug.modes = {"hotmem", "static"};
    p.plug.repeat = 1;
    p.scale.partitions = 4;
    p.scale.reclaim_counts = {1, 2};
    p.scale.repeat = 1;
    p.scale.settle = std::chrono::milliseconds(200);
    p.floor.reset();
    // Native only: a Python start is in PythonRootfs and the full run.
    p.one_to_one.runtimes = {"native"};
    p.one_to_one.starts = 1;
    p.one_to_one.instance_mib = 128;
    p.one_to_one.settle = std::chrono::milliseconds(200);
    p.chaos.reset();
  }
  return p;
}

Status write_json(const std::filesystem::path& path, const nlohmann::json& document) {
  std::ofstream out(path);
  out << document.dump(2) << "\n";
  if (!out) return Error(fmt::format("cannot write {}", path.string()));
  return ok_status();
}

Status run_suite(const SuitePlan& plan, const ExperimentContext& suite_context, const std::filesystem::path& out,
                 const std::function<void(const std::string&)>& print) {
  ExperimentContext context = suite_context;
  context.preplanned = true;
  context.progress->plan(plan.sizes.steps() + plan.utilization.steps() + plan.cpu.steps() +
                         plan.interference.steps() + plan.colocation.steps() + plan.plug.steps() + plan.scale.steps() +
                         plan.one_to_one.steps() + (plan.floor ? plan.floor->steps() : 0) +
                         (plan.chaos ? plan.chaos->steps() : 0));
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", out.string(), ec.message()));
  struct Step {
    const char* name;
    std::function<Result<nlohmann::json>()> run;
    std::function<std::string(const nlohmann::json&)> table;
    std::function<Status(const nlohmann::json&)> verdict;
  };
  std::vector<Step> steps{
      {"sizes", [&] { return run_reclaim_bench(plan.sizes, context); }, format_reclaim_table, {}},
      {"utilization", [&] { return run_reclaim_bench(plan.utilization, context); }, format_reclaim_table, {}},
      {"cpu", [&] { return run_cpu_bench(plan.cpu, context); }, format_cpu_table, {}},
      {"interference", [&] { return run_interference_bench(plan.interference, context); }, format_interference_table,
       {}},
      {"colocation", [&] { return run_colocation_bench(plan.colocation, context); }, format_colocation_table, {}},
      {"plug", [&] { return run_plug_bench(plan.plug, context); }, format_plug_table, {}},
      {"scale", [&] { return run_scale_bench(plan.scale, context); }, format_scale_table, {}},
  };
  steps.push_back({"one-to-one", [&] { return run_one_to_one_bench(plan.one_to_one, context); },
                   format_one_to_one_table, {}});
  if (plan.floor) {
    steps.push_back({"floor", [&] { return run_floor_bench(*plan.floor, context); }, format_floor_table, {}});
  }
  if (plan.chaos) {
    steps.push_back({"chaos", [&] { return run_chaos_bench(*plan.chaos, context); }, format_chaos_table, chaos_verdict});
  }
  Status verdicts = ok_status();
  for (const Step& step : steps) {
    auto document = step.run();
    if (!document) return document.error().context(step.name);
    const auto path = out / fmt::format("{}.json", step.name);
    if (Status s = write_json(path, *document); !s) return s;
    print(fmt::format("== {} ({})\n{}", step.name, path.string(), step.table(*document)));
    if (step.verdict && verdicts) verdicts = step.verdict(*document);
  }
  return verdicts;
}

}  // namespace hotmem::bench

#include "bench/experiment.h"

#include <thread>

#include <fmt/format.h>

#include "bench/host_info.h"
#include "common/cpu_affinity.h"
#include "serve/function.h"

namespace hotmem::bench {

Result<std::unique_ptr<host::Deployment>> deploy(const ExperimentContext& context, const std::string& mode,
                                                 int instances, const WorkloadShape& workload, int init_on_alloc,
                                                 const std::string& vm_name) {
  host::DeploymentSpec spec;
  spec.mode = mode;
  spec.shape.max_instances = instances;
  spec.shape.instance_bytes = workload.instance_mib * kMiB;
  spec.vm = context.vm;
  spec.vm.name = vm_name;
  spec.vm.guest_init_on_alloc = init_on_alloc;
  return host::Deployment::create(spec);
}

nlohmann::json result_document(const std::string& benchmark, const ExperimentContext& context,
                               nlohmann::json config, nlohmann::json results) {
  config["boot_memory_mib"] = context.vm.base_bytes / kMiB;
  config["vcpus"] = context.vm.vcpus;
  config["dedicated_vcpu_cores"] = context.vm.dedicated_vcpu_cores;
  return nlohmann::json{{"benchmark", benchmark},
                        {"host", host_info(context.vm.accel)},
                        {"config", std::move(config)},
                        {"results", std::move(results)}};
}

nlohmann::json placement_json(host::Deployment& deployment) {
  auto placement = deployment.cpu_placement();
  if (!placement) return nlohmann::json{{"error", placement.error().message()}};
  return nlohmann::json{{"vcpu_cores", format_cpu_list(placement->vcpu_cores)},
                        {"other_cores", format_cpu_list(placement->other_cores)},
                        {"vcpus_apart", placement->vcpus_apart()}};
}

Status validate_modes(const std::vector<std::string>& modes) {
  if (modes.empty()) return Error("no modes to run");
  for (const std::string& m : modes) {
    if (auto mode = host::make_memory_mode(m); !mode) return mode.error();
  }
  return ok_status();
}

Status wait_idle(serve::Function& function, Clock::duration timeout) {
  Deadline deadline(timeout);
  nlohmann::json state;
  while (!deadline.expired()) {
    state = function.describe();
    if (serve::is_idle(state)) return ok_status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Error(fmt::format("not idle after {:.0f} s: {}", to_seconds(timeout), state.dump()));
}

}  // namespace hotmem::bench

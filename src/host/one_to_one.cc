#include "host/one_to_one.h"

namespace hotmem::host {

DeploymentSpec one_to_one_spec(const DeploymentSpec& function) {
  DeploymentSpec spec = function;
  spec.mode = "static";
  spec.shape.max_instances = 1;
  spec.vm.vcpus = 1;
  spec.vm.numa_nodes = 1;
  spec.vm.memory_devices.clear();
  spec.vm.balloon = false;
  spec.vm.free_page_reporting = false;
  // Static mode adds the instance's memory to this at layout.
  spec.vm.base_bytes = boot_bytes_needed(spec.vm, 1);
  return spec;
}

Result<std::uint64_t> one_to_one_bytes(const DeploymentSpec& function) {
  auto commitment = Deployment::commitment(one_to_one_spec(function));
  if (!commitment) return commitment.error();
  return commitment->idle_bytes + commitment->instance_bytes;
}

}  // namespace hotmem::host

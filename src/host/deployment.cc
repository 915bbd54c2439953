#include "host/deployment.h"

#include <fmt/format.h>

namespace hotmem::host {

Result<std::unique_ptr<Deployment>> Deployment::create(const DeploymentSpec& spec) {
  if (spec.shape.max_instances < 1 || spec.shape.max_instances > 64) {
    return Error(fmt::format("{} instances per VM asked for; 1-64 supported", spec.shape.max_instances));
  }
  if (spec.shape.instance_bytes < 16 * kMiB || spec.shape.instance_bytes > 1024 * kGiB) {
    return Error(fmt::format("instance memory {} is outside 16 MiB - 1 TiB", format_size(spec.shape.instance_bytes)));
  }
  std::unique_ptr<Deployment> d(new Deployment());
  d->spec_ = spec;
  auto mode = make_memory_mode(spec.mode);
  if (!mode) return mode.error();
  d->mode_ = std::move(*mode);
  FunctionVmConfig config = spec.vm;
  config.memory_devices.clear();
  config.numa_nodes = 1;
  d->mode_->configure(config, spec.shape);
  auto vm = FunctionVm::boot(config);
  if (!vm) return vm.error();
  d->vm_ = std::move(*vm);
  if (Status s = d->mode_->attach(*d->vm_, spec.shape); !s) return s.error();
  d->pool_ = std::make_unique<InstancePool>(*d->vm_, *d->mode_, spec.shape);
  return d;
}

// The pool and the mode refer to the VM: they go first.
Deployment::~Deployment() {
  pool_.reset();
  vm_.reset();
  mode_.reset();
}

}  // namespace hotmem::host

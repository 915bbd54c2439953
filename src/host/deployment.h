// A function deployed in one VM: the memory mode lays the VM out, the VM
// boots, and an instance pool runs the function's instances in it.
#pragma once

#include <memory>
#include <string>

#include "host/function_vm.h"
#include "host/instance_pool.h"
#include "host/memory_mode.h"

namespace hotmem::host {

struct DeploymentSpec {
  std::string mode = "hotmem";
  FunctionShape shape;
  // Boot memory, vCPUs, image, guest settings; the mode adds its devices.
  FunctionVmConfig vm;
};

class Deployment {
 public:
  static Result<std::unique_ptr<Deployment>> create(const DeploymentSpec& spec);
  ~Deployment();

  FunctionVm& vm() { return *vm_; }
  MemoryMode& mode() { return *mode_; }
  InstancePool& pool() { return *pool_; }
  const DeploymentSpec& spec() const { return spec_; }

 private:
  Deployment() = default;

  DeploymentSpec spec_;
  std::unique_ptr<MemoryMode> mode_;
  std::unique_ptr<FunctionVm> vm_;
  std::unique_ptr<InstancePool> pool_;
};

}  // namespace hotmem::host

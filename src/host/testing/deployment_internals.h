// Test-only: reaches behind a Deployment's door, for fault injection (QMP
// commands to the VMM) and for checks of real effects the door does not
// offer (a memory device's or the balloon's size as QEMU reports it).
// Production code goes through host::Deployment's verbs only.
#pragma once

#include "host/deployment.h"
#include "host/function_vm.h"

namespace hotmem::host {

struct DeploymentInternals {
  static FunctionVm& vm(Deployment& d) { return *d.vm_; }
};

}  // namespace hotmem::host

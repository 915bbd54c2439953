// Which accelerator this host offers: KVM needs vmx/svm in the CPU flags and
// a usable /dev/kvm; otherwise QEMU's TCG emulates the guest.
#pragma once

#include <string_view>

#include "vmm/vm_spec.h"

namespace hotmem::vmm {

// True when the "flags" lines of /proc/cpuinfo text list vmx or svm.
bool cpu_flags_have_virtualization(std::string_view cpuinfo);

// Resolves kAuto for this host; kKvm and kTcg are returned as they are.
Accel resolve_accel(Accel requested);

}  // namespace hotmem::vmm

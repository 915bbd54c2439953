// What a benchmark ran on, recorded with its results so figures from
// different machines are never compared blindly.
#pragma once

#include <nlohmann/json.hpp>

#include "vmm/vm_spec.h"

namespace hotmem::bench {

// accel, CPU model and count, host memory, kernel, QEMU version, date.
nlohmann::json host_info(vmm::Accel accel);

}  // namespace hotmem::bench

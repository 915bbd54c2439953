#include "vmm/vm_spec.h"

#include <set>

#include <fmt/format.h>

namespace hotmem::vmm {

std::string to_string(Accel accel) {
  switch (accel) {
    case Accel::kAuto: return "auto";
    case Accel::kKvm: return "kvm";
    case Accel::kTcg: return "tcg";
  }
  return "?";
}

Result<Accel> parse_accel(std::string_view text) {
  if (text == "auto") return Accel::kAuto;
  if (text == "kvm") return Accel::kKvm;
  if (text == "tcg") return Accel::kTcg;
  return Error(fmt::format("unknown accelerator '{}': use auto, kvm or tcg", text));
}

Status validate(const VmSpec& spec) {
  if (spec.vcpus < 1 || spec.vcpus > 64) return Error(fmt::format("vcpus is {}, must be 1-64", spec.vcpus));
  if (spec.base_bytes < 128 * kMiB || spec.base_bytes % kMiB != 0) {
    return Error(fmt::format("boot memory {} must be a whole number of MiB, at least 128 MiB",
                             format_size(spec.base_bytes)));
  }
  if (spec.numa_nodes < 1 || spec.numa_nodes > 65) {
    return Error(fmt::format("{} NUMA nodes requested, 1-65 supported", spec.numa_nodes));
  }
  std::set<std::string> ids;
  for (const MemoryDeviceSpec& d : spec.memory_devices) {
    if (d.id.empty() || !ids.insert(d.id).second) return Error(fmt::format("memory device id '{}' is empty or repeated", d.id));
    if (d.node < 0 || d.node >= spec.numa_nodes) {
      return Error(fmt::format("memory device {} is on node {}, but the VM has nodes 0-{}", d.id, d.node,
                               spec.numa_nodes - 1));
    }
    if (d.max_bytes == 0 || d.max_bytes % kGuestMemoryBlock != 0) {
      return Error(fmt::format("memory device {} maximum {} must be a non-zero multiple of {}", d.id,
                               format_size(d.max_bytes), format_size(kGuestMemoryBlock)));
    }
  }
  if (spec.memory_devices.size() > 120) return Error("at most 120 memory devices are supported");
  for (const auto& f : {spec.kernel, spec.initrd}) {
    if (!std::filesystem::is_regular_file(f)) {
      return Error(fmt::format("guest image file {} is missing: run ./scripts/setup or `hotmem image build`",
                               f.string()));
    }
  }
  if (spec.rootfs_image && !std::filesystem::is_regular_file(*spec.rootfs_image)) {
    return Error(fmt::format("root filesystem image {} is missing: run ./scripts/setup (or ./scripts/build-rootfs)",
                             spec.rootfs_image->string()));
  }
  if (!std::filesystem::is_directory(spec.run_dir)) return Error(fmt::format("run directory {} is missing", spec.run_dir.string()));
  return ok_status();
}

}  // namespace hotmem::vmm

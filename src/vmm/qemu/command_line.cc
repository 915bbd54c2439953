#include "vmm/qemu/command_line.h"

#include <fmt/format.h>

namespace hotmem::vmm::qemu {
namespace {

// QEMU option values end at a comma; a literal comma is written twice.
std::string escape_option_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

}  // namespace

QemuPaths paths_for(const VmSpec& spec) {
  return {spec.run_dir / "qmp.sock", spec.run_dir / "agent.sock", spec.run_dir / "console.log"};
}

std::vector<std::string> build_command_line(const VmSpec& spec, Accel accel, const std::string& binary) {
  const QemuPaths paths = paths_for(spec);
  std::vector<std::string> a{binary, "-name", fmt::format("hotmem-{},process=hotmem-{}", spec.name, spec.name),
                             "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"};
  auto add = [&a](std::initializer_list<std::string> items) { a.insert(a.end(), items); };

  if (accel == Accel::kKvm) {
    add({"-machine", "pc,accel=kvm", "-cpu", "host"});
  } else {
    add({"-machine", "pc", "-accel", "tcg,thread=multi", "-cpu", "max"});
  }

  // Every partition node owns one possible-but-absent vCPU, so the guest's
  // ACPI tables (SRAT) declare its proximity domain: without it the guest
  // folds all device memory into one node.
  const int partition_nodes = spec.numa_nodes - 1;
  add({"-smp", fmt::format("{},maxcpus={}", spec.vcpus, spec.vcpus + partition_nodes)});

  std::uint64_t device_bytes = 0;
  for (const MemoryDeviceSpec& d : spec.memory_devices) device_bytes += d.max_bytes;
  const std::uint64_t base_mib = spec.base_bytes / kMiB;
  if (device_bytes > 0) {
    add({"-m", fmt::format("{}M,slots=1,maxmem={}M", base_mib, base_mib + device_bytes / kMiB)});
  } else {
    add({"-m", fmt::format("{}M", base_mib)});
  }
  add({"-object", fmt::format("memory-backend-ram,id=ram-node0,size={}M", base_mib)});
  add({"-numa", fmt::format("node,nodeid=0,cpus=0-{},memdev=ram-node0", spec.vcpus - 1)});
  for (int node = 1; node < spec.numa_nodes; ++node) {
    add({"-numa", fmt::format("node,nodeid={},cpus={}", node, spec.vcpus + node - 1)});
  }

  // virtio-mem devices sit behind PCI bridges, 30 to a bridge, so 64
  // partitions fit on the `pc` machine.
  for (std::size_t i = 0; i < spec.memory_devices.size(); ++i) {
    const MemoryDeviceSpec& d = spec.memory_devices[i];
    const std::size_t bridge = i / kDevicesPerBridge;
    if (i % kDevicesPerBridge == 0) {
      add({"-device", fmt::format("pci-bridge,id=hmbridge{},chassis_nr={}", bridge, bridge + 1)});
    }
    // reserve=off: the host commits nothing until the guest touches memory.
    add({"-object", fmt::format("memory-backend-ram,id={}-mem,size={}M,reserve=off", d.id, d.max_bytes / kMiB)});
    add({"-device", fmt::format("virtio-mem-pci,id={},memdev={}-mem,node={},requested-size=0,bus=hmbridge{},addr={:#x}",
                                d.id, d.id, d.node, bridge, i % kDevicesPerBridge + 1)});
  }

  if (spec.balloon) {
    add({"-device", fmt::format("virtio-balloon-pci,id=hmballoon,free-page-reporting={}",
                                spec.free_page_reporting ? "on" : "off")});
  }
  if (spec.rootfs_image) {
    // On the root bus (automatic slot), apart from the bridges that hold the
    // virtio-mem devices. readonly=on: every VM can share one image file.
    add({"-drive", fmt::format("file={},if=none,id=hmrootfs,format=raw,readonly=on",
                               escape_option_value(spec.rootfs_image->string()))});
    add({"-device", fmt::format("virtio-blk-pci,id=hmrootfsdisk,drive=hmrootfs,serial={}", protocol::kRootfsDiskSerial)});
  }
  add({"-device", "virtio-serial-pci,id=hmserial"});
  add({"-chardev", fmt::format("socket,id=hmagent,path={},server=on,wait=off", paths.agent_socket.string())});
  add({"-device", fmt::format("virtserialport,bus=hmserial.0,chardev=hmagent,name={}", protocol::kAgentPortName)});
  // wait=on: QEMU starts the guest only once we are connected to QMP.
  add({"-chardev", fmt::format("socket,id=hmqmp,path={},server=on,wait=on", paths.qmp_socket.string())});
  add({"-mon", "chardev=hmqmp,mode=control"});
  add({"-chardev", fmt::format("file,id=hmconsole,path={}", paths.console_log.string())});
  add({"-serial", "chardev:hmconsole"});
  add({"-kernel", spec.kernel.string(), "-initrd", spec.initrd.string(), "-append", spec.cmdline});
  return a;
}

}  // namespace hotmem::vmm::qemu

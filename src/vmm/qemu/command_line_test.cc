#include "vmm/qemu/command_line.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hotmem::vmm::qemu {
namespace {

using testing::Contains;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::Not;

using Args = std::vector<std::string>;

// A function VM with two partitions (nodes 1 and 2) of 1 GiB and 2 GiB.
VmSpec two_partitions() {
  VmSpec spec;
  spec.name = "fn";
  spec.kernel = "/images/vmlinuz";
  spec.initrd = "/images/initrd.img";
  spec.cmdline = "console=ttyS0 memhp_default_state=online_movable init_on_alloc=0";
  spec.vcpus = 2;
  spec.base_bytes = 512 * kMiB;
  spec.numa_nodes = 3;
  spec.memory_devices = {{"vmem1", 1, kGiB}, {"vmem2", 2, 2 * kGiB}};
  spec.run_dir = "/run/hotmem/fn";
  return spec;
}

VmSpec many_partitions(int devices) {
  VmSpec spec = two_partitions();
  spec.numa_nodes = devices + 1;
  spec.memory_devices.clear();
  for (int i = 1; i <= devices; ++i) spec.memory_devices.push_back({fmt::format("vmem{}", i), i, 128 * kMiB});
  return spec;
}

// The values that follow each occurrence of `flag`.
Args values_of(const Args& args, const std::string& flag) {
  Args out;
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag) out.push_back(args[i + 1]);
  }
  return out;
}

std::string value_of(const Args& args, const std::string& flag) {
  Args v = values_of(args, flag);
  EXPECT_EQ(v.size(), 1u) << "expected one " << flag;
  return v.empty() ? "" : v.front();
}

Args starting_with(const Args& values, const std::string& prefix) {
  Args out;
  for (const std::string& v : values) {
    if (v.starts_with(prefix)) out.push_back(v);
  }
  return out;
}

std::ptrdiff_t position(const Args& args, const std::string& item) {
  auto it = std::find(args.begin(), args.end(), item);
  EXPECT_NE(it, args.end()) << "missing " << item;
  return it - args.begin();
}

TEST(BuildCommandLine, StartsWithTheBinaryAndNamesTheVm) {
  const Args args = build_command_line(two_partitions(), Accel::kTcg, "/usr/bin/qemu-system-x86_64");
  ASSERT_FALSE(args.empty());
  EXPECT_EQ(args.front(), "/usr/bin/qemu-system-x86_64");
  EXPECT_EQ(value_of(args, "-name"), "hotmem-fn,process=hotmem-fn");
  EXPECT_THAT(args, Contains("-nodefaults"));
  EXPECT_THAT(args, Contains("-no-reboot"));
  EXPECT_EQ(build_command_line(two_partitions(), Accel::kTcg).front(), "qemu-system-x86_64");
}

TEST(BuildCommandLine, TcgUsesMultiThreadedTcgAndCpuMax) {
  const Args args = build_command_line(two_partitions(), Accel::kTcg);
  EXPECT_EQ(value_of(args, "-accel"), "tcg,thread=multi");
  EXPECT_EQ(value_of(args, "-cpu"), "max");
  EXPECT_EQ(value_of(args, "-machine"), "pc");
  for (const std::string& a : args) EXPECT_THAT(a, Not(HasSubstr("kvm")));
}

TEST(BuildCommandLine, KvmUsesKvmAndCpuHost) {
  const Args args = build_command_line(two_partitions(), Accel::kKvm);
  EXPECT_EQ(value_of(args, "-machine"), "pc,accel=kvm");
  EXPECT_EQ(value_of(args, "-cpu"), "host");
  EXPECT_THAT(args, Not(Contains("-accel")));
  for (const std::string& a : args) EXPECT_THAT(a, Not(HasSubstr("tcg")));
}

TEST(BuildCommandLine, OneAbsentVcpuPerPartitionNode) {
  EXPECT_EQ(value_of(build_command_line(two_partitions(), Accel::kTcg), "-smp"), "2,maxcpus=4");

  VmSpec single = two_partitions();
  single.vcpus = 4;
  single.numa_nodes = 1;
  single.memory_devices.clear();
  EXPECT_EQ(value_of(build_command_line(single, Accel::kTcg), "-smp"), "4,maxcpus=4");
}

TEST(BuildCommandLine, OneNumaNodePerPartitionWithItsOwnCpu) {
  const Args numa = values_of(build_command_line(two_partitions(), Accel::kTcg), "-numa");
  EXPECT_THAT(numa, ElementsAre("node,nodeid=0,cpus=0-1,memdev=ram-node0", "node,nodeid=1,cpus=2",
                                "node,nodeid=2,cpus=3"));
}

TEST(BuildCommandLine, BootMemoryBacksNodeZero) {
  const Args args = build_command_line(two_partitions(), Accel::kTcg);
  EXPECT_THAT(values_of(args, "-object"), Contains("memory-backend-ram,id=ram-node0,size=512M"));
}

TEST(BuildCommandLine, MaxmemIsBootMemoryPlusEveryDeviceMaximum) {
  const Args args = build_command_line(two_partitions(), Accel::kTcg);
  EXPECT_EQ(value_of(args, "-m"), "512M,slots=1,maxmem=3584M");  // 512 + 1024 + 2048
}

TEST(BuildCommandLine, NoDevicesMeansNoMaxmem) {
  VmSpec spec = two_partitions();
  spec.numa_nodes = 1;
  spec.memory_devices.clear();
  const Args args = build_command_line(spec, Accel::kTcg);
  EXPECT_EQ(value_of(args, "-m"), "512M");
  EXPECT_TRUE(starting_with(values_of(args, "-device"), "pci-bridge").empty());
  EXPECT_TRUE(starting_with(values_of(args, "-device"), "virtio-mem-pci").empty());
}

TEST(BuildCommandLine, EachDeviceGetsABackendAndSitsOnItsNode) {
  const Args args = build_command_line(two_partitions(), Accel::kTcg);
  EXPECT_THAT(values_of(args, "-object"), Contains("memory-backend-ram,id=vmem1-mem,size=1024M,reserve=off"));
  EXPECT_THAT(values_of(args, "-object"), Contains("memory-backend-ram,id=vmem2-mem,size=2048M,reserve=off"));
  EXPECT_THAT(starting_with(values_of(args, "-device"), "virtio-mem-pci"),
              ElementsAre("virtio-mem-pci,id=vmem1,memdev=vmem1-mem,node=1,requested-size=0,bus=hmbridge0,addr=0x1",
                          "virtio-mem-pci,id=vmem2,memdev=vmem2-mem,node=2,requested-size=0,bus=hmbridge0,addr=0x2"));
  EXPECT_THAT(starting_with(values_of(args, "-device"), "pci-bridge"),
              ElementsAre("pci-bridge,id=hmbridge0,chassis_nr=1"));
}

TEST(BuildCommandLine, ThirtyFirstDeviceGoesOnASecondBridge) {
  const Args args = build_command_line(many_partitions(31), Accel::kTcg);
  const Args devices = starting_with(values_of(args, "-device"), "virtio-mem-pci");
  ASSERT_EQ(devices.size(), 31u);
  EXPECT_THAT(devices[0], HasSubstr("bus=hmbridge0,addr=0x1"));
  EXPECT_THAT(devices[29], HasSubstr("id=vmem30,"));
  EXPECT_THAT(devices[29], HasSubstr("bus=hmbridge0,addr=0x1e"));
  EXPECT_THAT(devices[30], HasSubstr("id=vmem31,"));
  EXPECT_THAT(devices[30], HasSubstr("bus=hmbridge1,addr=0x1"));
  EXPECT_THAT(starting_with(values_of(args, "-device"), "pci-bridge"),
              ElementsAre("pci-bridge,id=hmbridge0,chassis_nr=1", "pci-bridge,id=hmbridge1,chassis_nr=2"));
}

TEST(BuildCommandLine, SixtyFourDevicesUseThreeBridges) {
  const Args args = build_command_line(many_partitions(64), Accel::kTcg);
  EXPECT_THAT(starting_with(values_of(args, "-device"), "pci-bridge"),
              ElementsAre("pci-bridge,id=hmbridge0,chassis_nr=1", "pci-bridge,id=hmbridge1,chassis_nr=2",
                          "pci-bridge,id=hmbridge2,chassis_nr=3"));
  const Args devices = starting_with(values_of(args, "-device"), "virtio-mem-pci");
  ASSERT_EQ(devices.size(), 64u);
  EXPECT_THAT(devices[60], HasSubstr("bus=hmbridge2,addr=0x1"));
  EXPECT_THAT(devices[63], HasSubstr("id=vmem64,memdev=vmem64-mem,node=64,"));
  EXPECT_THAT(devices[63], HasSubstr("bus=hmbridge2,addr=0x4"));
  EXPECT_EQ(value_of(args, "-smp"), "2,maxcpus=66");
  EXPECT_EQ(values_of(args, "-numa").size(), 65u);
  EXPECT_EQ(value_of(args, "-m"), fmt::format("512M,slots=1,maxmem={}M", 512 + 64 * 128));
}

TEST(BuildCommandLine, EveryBridgeComesBeforeTheDevicesOnIt) {
  const Args args = build_command_line(many_partitions(64), Accel::kTcg);
  for (int bridge = 0; bridge < 3; ++bridge) {
    const auto bridge_at = position(args, fmt::format("pci-bridge,id=hmbridge{},chassis_nr={}", bridge, bridge + 1));
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i].starts_with("virtio-mem-pci") && args[i].find(fmt::format("bus=hmbridge{},", bridge)) != std::string::npos) {
        EXPECT_LT(bridge_at, static_cast<std::ptrdiff_t>(i)) << args[i];
      }
    }
  }
}

TEST(BuildCommandLine, AgentPortUsesTheProtocolName) {
  const Args args = build_command_line(two_partitions(), Accel::kTcg);
  const Args ports = starting_with(values_of(args, "-device"), "virtserialport");
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0], std::string("virtserialport,bus=hmserial.0,chardev=hmagent,name=") + protocol::kAgentPortName);
  EXPECT_THAT(values_of(args, "-device"), Contains("virtio-serial-pci,id=hmserial"));
  EXPECT_THAT(values_of(args, "-chardev"),
              Contains("socket,id=hmagent,path=/run/hotmem/fn/agent.sock,server=on,wait=off"));
}

TEST(BuildCommandLine, QmpAndConsoleLiveInTheRunDirectory) {
  const Args args = build_command_line(two_partitions(), Accel::kTcg);
  EXPECT_THAT(values_of(args, "-chardev"),
              Contains("socket,id=hmqmp,path=/run/hotmem/fn/qmp.sock,server=on,wait=on"));
  EXPECT_EQ(value_of(args, "-mon"), "chardev=hmqmp,mode=control");
  EXPECT_THAT(values_of(args, "-chardev"), Contains("file,id=hmconsole,path=/run/hotmem/fn/console.log"));
  EXPECT_EQ(value_of(args, "-serial"), "chardev:hmconsole");
}

TEST(BuildCommandLine, KernelInitrdAndCmdlineAreSingleArguments) {
  const VmSpec spec = two_partitions();
  const Args args = build_command_line(spec, Accel::kTcg);
  EXPECT_EQ(value_of(args, "-kernel"), "/images/vmlinuz");
  EXPECT_EQ(value_of(args, "-initrd"), "/images/initrd.img");
  EXPECT_EQ(value_of(args, "-append"), spec.cmdline);
}

TEST(BuildCommandLine, NoDiskWithoutARootfsImage) {
  const Args args = build_command_line(two_partitions(), Accel::kTcg);
  EXPECT_THAT(args, Not(Contains("-drive")));
  EXPECT_THAT(starting_with(values_of(args, "-device"), "virtio-blk"), testing::IsEmpty());
}

TEST(BuildCommandLine, RootfsImageIsAReadOnlyVirtioBlkDiskWithItsSerial) {
  VmSpec spec = two_partitions();
  spec.rootfs_image = "/cache/rootfs/python-bookworm.squashfs";
  const Args args = build_command_line(spec, Accel::kTcg);
  EXPECT_EQ(value_of(args, "-drive"),
            "file=/cache/rootfs/python-bookworm.squashfs,if=none,id=hmrootfs,format=raw,readonly=on");
  EXPECT_THAT(starting_with(values_of(args, "-device"), "virtio-blk-pci"),
              ElementsAre("virtio-blk-pci,id=hmrootfsdisk,drive=hmrootfs,serial=hotmem-rootfs"));
}

TEST(BuildCommandLine, CommasInTheRootfsPathAreEscaped) {
  VmSpec spec = two_partitions();
  spec.rootfs_image = "/a,b/root.img";
  const Args args = build_command_line(spec, Accel::kTcg);
  EXPECT_THAT(value_of(args, "-drive"), HasSubstr("file=/a,,b/root.img,if=none"));
}

TEST(BuildCommandLine, RootfsDiskStaysOffTheBridgesOfSixtyFourPartitions) {
  VmSpec spec = many_partitions(64);
  spec.rootfs_image = "/cache/rootfs.img";
  const Args args = build_command_line(spec, Accel::kTcg);
  const Args disks = starting_with(values_of(args, "-device"), "virtio-blk-pci");
  ASSERT_EQ(disks.size(), 1u);
  // No bus= or addr=: QEMU gives it a free root-bus slot; bridge slots stay
  // for the 64 virtio-mem devices.
  EXPECT_THAT(disks.front(), Not(HasSubstr("bus=")));
  EXPECT_THAT(disks.front(), Not(HasSubstr("addr=")));
  EXPECT_EQ(starting_with(values_of(args, "-device"), "virtio-mem-pci").size(), 64u);
}

TEST(PathsFor, PutsSocketsAndLogInTheRunDirectory) {
  const QemuPaths paths = paths_for(two_partitions());
  EXPECT_EQ(paths.qmp_socket, std::filesystem::path("/run/hotmem/fn/qmp.sock"));
  EXPECT_EQ(paths.agent_socket, std::filesystem::path("/run/hotmem/fn/agent.sock"));
  EXPECT_EQ(paths.console_log, std::filesystem::path("/run/hotmem/fn/console.log"));
}

}  // namespace
}  // namespace hotmem::vmm::qemu

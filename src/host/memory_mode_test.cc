#include "host/memory_mode.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "host/deployment.h"
#include "host/modes/hotmem_mode.h"
#include "host/modes/virtio_mem_mode.h"

namespace hotmem::host {
namespace {

std::uint64_t partition_bytes(std::uint64_t instance_bytes) {
  FunctionShape shape;
  shape.instance_bytes = instance_bytes;
  return shape.partition_bytes();
}

TEST(MemoryModeShape, PartitionBytesRoundsUpToWholeGuestMemoryBlocks) {
  EXPECT_EQ(partition_bytes(1), 128 * kMiB);
  EXPECT_EQ(partition_bytes(16 * kMiB), 128 * kMiB);
  EXPECT_EQ(partition_bytes(128 * kMiB - 1), 128 * kMiB);
  EXPECT_EQ(partition_bytes(128 * kMiB), 128 * kMiB);
  EXPECT_EQ(partition_bytes(128 * kMiB + 1), 256 * kMiB);
  EXPECT_EQ(partition_bytes(200 * kMiB), 256 * kMiB);
  EXPECT_EQ(partition_bytes(512 * kMiB), 512 * kMiB);
  EXPECT_EQ(partition_bytes(2 * kGiB + 1), 2 * kGiB + 128 * kMiB);
  EXPECT_EQ(partition_bytes(0), 0u);
}

TEST(MemoryModeShape, DefaultShapeIsFourInstancesOfHalfAGigabyte) {
  const FunctionShape shape;
  EXPECT_EQ(shape.max_instances, 4);
  EXPECT_EQ(shape.instance_bytes, 512 * kMiB);
  EXPECT_EQ(shape.partition_bytes(), 512 * kMiB);
}

TEST(MemoryModeShape, PartitionBytesIsAlwaysAWholeNumberOfBlocksAndNeverLess) {
  for (std::uint64_t mib = 1; mib <= 2048; mib += 37) {
    const std::uint64_t bytes = partition_bytes(mib * kMiB);
    EXPECT_EQ(bytes % vmm::kGuestMemoryBlock, 0u) << mib << " MiB";
    EXPECT_GE(bytes, mib * kMiB) << mib << " MiB";
    EXPECT_LT(bytes - mib * kMiB, vmm::kGuestMemoryBlock) << mib << " MiB";
  }
}

TEST(MemoryModeFactory, NamesEveryMode) {
  EXPECT_EQ(memory_mode_names(),
            (std::vector<std::string>{"hotmem", "virtio-mem", "balloon", "balloon-fpr", "static"}));
}

TEST(MemoryModeFactory, MakesEveryNamedMode) {
  for (const std::string& name : memory_mode_names()) {
    auto mode = make_memory_mode(name);
    ASSERT_TRUE(mode.ok()) << name << ": " << mode.error().message();
    EXPECT_EQ((*mode)->name(), name);
  }
}

TEST(MemoryModeFactory, MakesHotmem) {
  auto mode = make_memory_mode("hotmem");
  ASSERT_TRUE(mode.ok()) << mode.error().message();
  EXPECT_NE(dynamic_cast<HotmemMode*>(mode->get()), nullptr);
  EXPECT_EQ((*mode)->describe()["mode"], "hotmem");
}

TEST(MemoryModeFactory, MakesVirtioMem) {
  auto mode = make_memory_mode("virtio-mem");
  ASSERT_TRUE(mode.ok()) << mode.error().message();
  EXPECT_NE(dynamic_cast<VirtioMemMode*>(mode->get()), nullptr);
  EXPECT_EQ((*mode)->describe()["mode"], "virtio-mem");
}

TEST(MemoryModeFactory, UnknownModeIsAnErrorListingTheModes) {
  auto mode = make_memory_mode("swap");
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.error().message(), "unknown memory mode 'swap': use hotmem, virtio-mem, balloon, balloon-fpr, static");

  for (const char* name : {"", "HotMem", "virtio_mem", "hotmem ", "Static"}) {
    auto wrong = make_memory_mode(name);
    ASSERT_FALSE(wrong.ok()) << "accepted '" << name << "'";
    EXPECT_NE(wrong.error().message().find("use hotmem, virtio-mem"), std::string::npos) << wrong.error().message();
  }
}

TEST(MemoryModeFactory, ModesLayOutTheVmTheirOwnWay) {
  const FunctionShape shape{2, 256 * kMiB};
  FunctionVmConfig hotmem_config;
  FunctionVmConfig virtio_config;
  (*make_memory_mode("hotmem"))->configure(hotmem_config, shape);
  (*make_memory_mode("virtio-mem"))->configure(virtio_config, shape);

  ASSERT_EQ(hotmem_config.memory_devices.size(), 2u);
  EXPECT_EQ(hotmem_config.numa_nodes, 3);
  ASSERT_EQ(virtio_config.memory_devices.size(), 1u);
  EXPECT_EQ(virtio_config.numa_nodes, 1);
  // Both give the VM the same memory at most.
  EXPECT_EQ(hotmem_config.memory_devices[0].max_bytes + hotmem_config.memory_devices[1].max_bytes,
            virtio_config.memory_devices[0].max_bytes);
}

// What the memory budget counts: a VM with no instance commits its boot
// memory (balloon: less every share behind the balloon; static: all of
// it), and each instance its partition (static: nothing).
TEST(MemoryModeFactory, EveryModeSaysWhatItsVmCommits) {
  const FunctionShape shape{3, 200 * kMiB};  // 256 MiB partitions
  struct Expected {
    const char* mode;
    std::uint64_t idle_bytes;
    std::uint64_t instance_bytes;
  };
  for (const Expected& e : {Expected{"hotmem", 512 * kMiB, 256 * kMiB}, Expected{"virtio-mem", 512 * kMiB, 256 * kMiB},
                            Expected{"balloon", 512 * kMiB, 256 * kMiB}, Expected{"balloon-fpr", 512 * kMiB, 256 * kMiB},
                            Expected{"static", 512 * kMiB + 3 * 256 * kMiB, 0}}) {
    auto mode = make_memory_mode(e.mode);
    ASSERT_TRUE(mode) << e.mode;
    FunctionVmConfig config;
    config.base_bytes = 512 * kMiB;
    (*mode)->configure(config, shape);
    const MemoryCommitment c = (*mode)->commitment(config, shape);
    EXPECT_EQ(c.idle_bytes, e.idle_bytes) << e.mode;
    EXPECT_EQ(c.instance_bytes, e.instance_bytes) << e.mode;
  }
}

// Node 0 holds every node's kernel state, the page structs of all hotplugged
// memory and each instance's kernel memory: 64 partitions of 128 MiB need
// more than the default 512 MiB (the guest ran out at the 40th), 10 do not.
TEST(BootMemory, GrowsWithNodesHotpluggedMemoryAndInstances) {
  const auto needed = [](const char* mode, FunctionShape shape) {
    FunctionVmConfig config;
    (*make_memory_mode(mode))->configure(config, shape);
    return boot_bytes_needed(config, shape.max_instances);
  };
  EXPECT_EQ(needed("hotmem", {64, 128 * kMiB}), 768 * kMiB);
  EXPECT_LT(needed("hotmem", {10, 128 * kMiB}), 512 * kMiB);
  EXPECT_LT(needed("virtio-mem", {64, 128 * kMiB}), 512 * kMiB) << "one node: no per-node cost";
  EXPECT_GT(needed("hotmem", {16, 2 * kGiB}), 512 * kMiB) << "32 GiB hotplugged: 512 MiB of page structs";
  EXPECT_GE(needed("hotmem", {16, 2 * kGiB}), 112 * kMiB + 16 * 2 * kGiB / 64);
  EXPECT_EQ(needed("hotmem", {3, 256 * kMiB}) % (64 * kMiB), 0u) << "whole 64 MiB";
  EXPECT_LE(needed("static", {64, 128 * kMiB}), needed("virtio-mem", {64, 128 * kMiB}))
      << "boot memory already holds static's instances, no hotplug";
}

TEST(DirtyPolicy, ParsesItsTwoNamesAndRefusesOthers) {
  for (DirtyPolicy policy : {DirtyPolicy::kMigrate, DirtyPolicy::kKeep}) {
    auto parsed = parse_dirty_policy(to_string(policy));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(*parsed, policy);
  }
  auto bad = parse_dirty_policy("drop");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("migrate, keep"), std::string::npos) << bad.error().message();
}

}  // namespace
}  // namespace hotmem::host

#include "vmm/vm_spec.h"

#include <fstream>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "common/test_helpers.h"

namespace hotmem::vmm {
namespace {

using test::contains;

// A temporary directory holding a fake kernel and initrd, and used as run dir.
class VmSpecTest : public testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create(std::filesystem::temp_directory_path(), "hotmem-vm-spec-test-");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_.emplace(std::move(*dir));
    std::ofstream(dir_->path() / "vmlinuz") << "not really a kernel";
    std::ofstream(dir_->path() / "initrd.img") << "not really an initrd";
  }

  VmSpec valid_spec() const {
    VmSpec spec;
    spec.name = "fn";
    spec.kernel = dir_->path() / "vmlinuz";
    spec.initrd = dir_->path() / "initrd.img";
    spec.cmdline = "console=ttyS0";
    spec.vcpus = 2;
    spec.base_bytes = 512 * kMiB;
    spec.numa_nodes = 3;
    spec.memory_devices = {{"vmem1", 1, kGiB}, {"vmem2", 2, 128 * kMiB}};
    spec.run_dir = dir_->path();
    return spec;
  }

  static std::string error_of(const VmSpec& spec) {
    Status s = validate(spec);
    EXPECT_FALSE(s.ok()) << "the spec was accepted";
    return s.ok() ? "" : s.error().message();
  }

  std::optional<TempDir> dir_;
};

TEST_F(VmSpecTest, AcceptsAValidSpec) {
  Status s = validate(valid_spec());
  EXPECT_TRUE(s.ok()) << s.error().message();
}

TEST_F(VmSpecTest, AcceptsAVmWithoutPartitions) {
  VmSpec spec = valid_spec();
  spec.numa_nodes = 1;
  spec.memory_devices.clear();
  Status s = validate(spec);
  EXPECT_TRUE(s.ok()) << s.error().message();
}

TEST_F(VmSpecTest, AcceptsTheLimits) {
  VmSpec spec = valid_spec();
  spec.vcpus = 64;
  spec.base_bytes = 128 * kMiB;
  spec.numa_nodes = 65;
  spec.memory_devices.clear();
  for (int i = 1; i <= 64; ++i) spec.memory_devices.push_back({fmt::format("vmem{}", i), i, 128 * kMiB});
  Status s = validate(spec);
  EXPECT_TRUE(s.ok()) << s.error().message();
}

TEST_F(VmSpecTest, RejectsADeviceOnANodeThatDoesNotExist) {
  VmSpec spec = valid_spec();
  spec.memory_devices[1].node = 3;
  const std::string m = error_of(spec);
  EXPECT_TRUE(contains(m, "vmem2 is on node 3")) << m;
  EXPECT_TRUE(contains(m, "nodes 0-2")) << m;

  spec.memory_devices[1].node = -1;
  EXPECT_TRUE(contains(error_of(spec), "node -1"));
}

TEST_F(VmSpecTest, RejectsADeviceMaximumThatIsNotWholeMemoryBlocks) {
  VmSpec spec = valid_spec();
  spec.memory_devices[0].max_bytes = 192 * kMiB;
  const std::string m = error_of(spec);
  EXPECT_TRUE(contains(m, "vmem1")) << m;
  EXPECT_TRUE(contains(m, "multiple of 128 MiB")) << m;

  spec.memory_devices[0].max_bytes = 128 * kMiB + kVirtioMemBlock;
  error_of(spec);
  spec.memory_devices[0].max_bytes = 0;
  EXPECT_TRUE(contains(error_of(spec), "non-zero"));
}

TEST_F(VmSpecTest, RejectsDuplicateOrEmptyDeviceIds) {
  VmSpec spec = valid_spec();
  spec.memory_devices[1].id = "vmem1";
  EXPECT_TRUE(contains(error_of(spec), "'vmem1' is empty or repeated"));

  spec.memory_devices[1].id = "";
  EXPECT_TRUE(contains(error_of(spec), "''"));
}

TEST_F(VmSpecTest, RejectsTooManyDevices) {
  VmSpec spec = valid_spec();
  spec.numa_nodes = 2;
  spec.memory_devices.clear();
  for (int i = 0; i < 121; ++i) spec.memory_devices.push_back({fmt::format("vmem{}", i), 1, 128 * kMiB});
  EXPECT_TRUE(contains(error_of(spec), "at most 120"));
}

TEST_F(VmSpecTest, RejectsOutOfRangeVcpus) {
  VmSpec spec = valid_spec();
  spec.vcpus = 0;
  EXPECT_TRUE(contains(error_of(spec), "vcpus is 0"));
  spec.vcpus = 65;
  EXPECT_TRUE(contains(error_of(spec), "vcpus is 65"));
}

TEST_F(VmSpecTest, RejectsBadBootMemory) {
  VmSpec spec = valid_spec();
  spec.base_bytes = 127 * kMiB;
  EXPECT_TRUE(contains(error_of(spec), "at least 128 MiB"));
  spec.base_bytes = 512 * kMiB + 4096;
  EXPECT_TRUE(contains(error_of(spec), "whole number of MiB"));
}

TEST_F(VmSpecTest, RejectsOutOfRangeNodeCounts) {
  VmSpec spec = valid_spec();
  spec.memory_devices.clear();
  spec.numa_nodes = 0;
  EXPECT_TRUE(contains(error_of(spec), "0 NUMA nodes"));
  spec.numa_nodes = 66;
  EXPECT_TRUE(contains(error_of(spec), "66 NUMA nodes"));
}

TEST_F(VmSpecTest, RejectsAMissingKernelOrInitrd) {
  VmSpec spec = valid_spec();
  spec.kernel = dir_->path() / "no-such-kernel";
  const std::string m = error_of(spec);
  EXPECT_TRUE(contains(m, "no-such-kernel")) << m;
  EXPECT_TRUE(contains(m, "missing")) << m;

  spec = valid_spec();
  spec.initrd = dir_->path() / "no-such-initrd";
  EXPECT_TRUE(contains(error_of(spec), "no-such-initrd"));
}

TEST_F(VmSpecTest, RejectsADirectoryAsKernel) {
  VmSpec spec = valid_spec();
  spec.kernel = dir_->path();
  EXPECT_TRUE(contains(error_of(spec), "missing"));
}

TEST_F(VmSpecTest, AcceptsAnExistingRootfsImage) {
  VmSpec spec = valid_spec();
  std::ofstream(dir_->path() / "rootfs.squashfs") << "not really a filesystem";
  spec.rootfs_image = dir_->path() / "rootfs.squashfs";
  EXPECT_TRUE(validate(spec).ok());
}

TEST_F(VmSpecTest, RejectsAMissingRootfsImageAndSaysHowToBuildIt) {
  VmSpec spec = valid_spec();
  spec.rootfs_image = dir_->path() / "no-such-rootfs.squashfs";
  const std::string m = error_of(spec);
  EXPECT_TRUE(contains(m, "no-such-rootfs.squashfs")) << m;
  EXPECT_TRUE(contains(m, "./scripts/setup")) << m;
  spec.rootfs_image = dir_->path();
  EXPECT_TRUE(contains(error_of(spec), "missing"));
}

TEST_F(VmSpecTest, RejectsAMissingRunDirectory) {
  VmSpec spec = valid_spec();
  spec.run_dir = dir_->path() / "gone";
  EXPECT_TRUE(contains(error_of(spec), "run directory"));
}

TEST(ParseAccel, ParsesTheThreeNames) {
  EXPECT_EQ(*parse_accel("auto"), Accel::kAuto);
  EXPECT_EQ(*parse_accel("kvm"), Accel::kKvm);
  EXPECT_EQ(*parse_accel("tcg"), Accel::kTcg);
}

TEST(ParseAccel, RejectsOtherNames) {
  for (const char* text : {"", "KVM", "hvf", "tcg ", "xen"}) {
    auto r = parse_accel(text);
    ASSERT_FALSE(r.ok()) << "accepted '" << text << "'";
    EXPECT_TRUE(contains(r.error().message(), fmt::format("'{}'", text))) << r.error().message();
  }
}

TEST(ParseAccel, RoundTripsWithToString) {
  for (Accel a : {Accel::kAuto, Accel::kKvm, Accel::kTcg}) {
    auto parsed = parse_accel(to_string(a));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(*parsed, a);
  }
}

}  // namespace
}  // namespace hotmem::vmm

#include "agent/rootfs.h"

#include <fstream>

#include <gtest/gtest.h>

#include "common/temp_dir.h"

namespace hotmem::agent {
namespace {

namespace fs = std::filesystem;

// A fake /sys/block with one entry per (name, serial); an empty serial means
// the device has no serial file (as for a ram disk).
class FakeSysBlock {
 public:
  FakeSysBlock() {
    auto dir = TempDir::create(fs::temp_directory_path(), "hotmem-sys-block-");
    EXPECT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
  }
  void add(const std::string& name, const std::string& serial) {
    fs::create_directories(path() / name);
    if (!serial.empty()) std::ofstream(path() / name / "serial") << serial;
  }
  fs::path path() const { return dir_->path(); }

 private:
  std::optional<TempDir> dir_;
};

TEST(FindDiskBySerial, FindsTheDiskWithThatSerial) {
  FakeSysBlock sys;
  sys.add("ram0", "");
  sys.add("vda", "scratch-disk\n");
  sys.add("vdb", "hotmem-rootfs\n");
  EXPECT_EQ(find_disk_by_serial(sys.path(), "hotmem-rootfs"), std::optional<std::string>("vdb"));
}

TEST(FindDiskBySerial, NoMatchIsNotAnError) {
  FakeSysBlock sys;
  sys.add("vda", "other");
  EXPECT_EQ(find_disk_by_serial(sys.path(), "hotmem-rootfs"), std::nullopt);
  EXPECT_EQ(find_disk_by_serial(sys.path() / "missing", "hotmem-rootfs"), std::nullopt);
}

TEST(FindDiskBySerial, NeedsTheWholeSerial) {
  FakeSysBlock sys;
  sys.add("vda", "hotmem-rootfs-old");
  EXPECT_EQ(find_disk_by_serial(sys.path(), "hotmem-rootfs"), std::nullopt);
}

}  // namespace
}  // namespace hotmem::agent

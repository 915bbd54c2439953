#include "image/rootfs_image.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "common/temp_dir.h"

namespace hotmem::image {
namespace {

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DefaultRootfsImage, HotmemRootfsWins) {
  ScopedEnv rootfs("HOTMEM_ROOTFS", "/images/my-rootfs.img");
  ScopedEnv cache("HOTMEM_CACHE", "/var/cache/hotmem");
  EXPECT_EQ(default_rootfs_image(), std::filesystem::path("/images/my-rootfs.img"));
}

TEST(DefaultRootfsImage, LivesInTheCacheWhereBuildRootfsPutsIt) {
  ScopedEnv rootfs("HOTMEM_ROOTFS", nullptr);
  ScopedEnv cache("HOTMEM_CACHE", "/var/cache/hotmem");
  EXPECT_EQ(default_rootfs_image(), std::filesystem::path("/var/cache/hotmem/rootfs/python-bookworm.squashfs"));
}

TEST(DefaultRootfsImage, CacheDefaultsToTheHomeDirectory) {
  ScopedEnv rootfs("HOTMEM_ROOTFS", nullptr);
  ScopedEnv cache("HOTMEM_CACHE", nullptr);
  ScopedEnv home("HOME", "/home/fn");
  EXPECT_EQ(default_rootfs_image(), std::filesystem::path("/home/fn/.cache/hotmem/rootfs/python-bookworm.squashfs"));
}

TEST(ParsePreloadList, PrefixesTheRootfsMountPoint) {
  auto paths = parse_preload_list("/usr/bin/python3.11\n\n/usr/lib/x86_64-linux-gnu/libc.so.6\n");
  ASSERT_TRUE(paths.ok()) << paths.error().message();
  EXPECT_EQ(*paths, (std::vector<std::string>{"/rootfs/usr/bin/python3.11", "/rootfs/usr/lib/x86_64-linux-gnu/libc.so.6"}));
}

TEST(ParsePreloadList, RejectsRelativeOrClimbingPaths) {
  for (const char* bad : {"usr/bin/python3\n", "/usr/../../etc/shadow\n", "/usr/..\n"}) {
    auto paths = parse_preload_list(std::string("/ok\n") + bad);
    ASSERT_FALSE(paths.ok()) << bad;
    EXPECT_NE(paths.error().message().find("line 2"), std::string::npos) << paths.error().message();
  }
}

TEST(RootfsPreloadPaths, ReadsTheListBesideTheImage) {
  auto dir = TempDir::create(std::filesystem::temp_directory_path(), "hotmem-rootfs-image-test-");
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  const auto image = dir->path() / "python-bookworm.squashfs";
  auto missing = rootfs_preload_paths(image);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("./scripts/setup"), std::string::npos) << missing.error().message();
  std::ofstream(dir->path() / "python-bookworm.preload") << "/usr/bin/python3.11\n";
  auto paths = rootfs_preload_paths(image);
  ASSERT_TRUE(paths.ok()) << paths.error().message();
  EXPECT_EQ(*paths, std::vector<std::string>{"/rootfs/usr/bin/python3.11"});
}

}  // namespace
}  // namespace hotmem::image

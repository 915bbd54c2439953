#include "image/guest_image.h"

#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hotmem::image

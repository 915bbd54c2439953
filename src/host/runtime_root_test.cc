// The runtime root: which directory, and the checks that keep anyone else's
// directory (or link) from being used for a VM's sockets and state.
#include "host/runtime_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/test_helpers.h"
#include "host/testing/scratch_dir.h"

namespace hotmem::host {
namespace {

namespace fs = std::filesystem;

using test::contains;

TEST(RuntimeRoot, IsTheStateDirThenRunForRootThenXdgRuntimeDirThenTmp) {
  EXPECT_EQ(choose_runtime_root(1000, "/srv/hotmem-state", "/run/user/1000"), "/srv/hotmem-state");
  EXPECT_EQ(choose_runtime_root(0, "/srv/hotmem-state", nullptr), "/srv/hotmem-state");
  EXPECT_EQ(choose_runtime_root(0, "/srv//hotmem-state/", nullptr), "/srv/hotmem-state");
  EXPECT_EQ(choose_runtime_root(0, nullptr, "/run/user/0"), "/run/hotmem");
  EXPECT_EQ(choose_runtime_root(0, "", ""), "/run/hotmem");
  EXPECT_EQ(choose_runtime_root(1000, nullptr, "/run/user/1000"), "/run/user/1000/hotmem");
  EXPECT_EQ(choose_runtime_root(1000, "", ""), "/tmp/hotmem-1000");
  EXPECT_EQ(choose_runtime_root(1000, nullptr, "relative/dir"), "/tmp/hotmem-1000")
      << "XDG_RUNTIME_DIR must be absolute";
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

using PrivateDirTest = ScratchDirTest;

TEST_F(PrivateDirTest, AMissingDirectoryIsCreatedWithMode0700WhateverTheUmask) {
  const mode_t old_umask = ::umask(0);
  Status made = ensure_private_dir(dir() / "a" / "root");
  ::umask(old_umask);
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_TRUE(fs::is_directory(dir() / "a" / "root"));
  EXPECT_EQ(mode_of(dir() / "a" / "root"), 0700u);
  EXPECT_TRUE(ensure_private_dir(dir() / "a" / "root")) << "a second check of the same directory failed";
}

TEST_F(PrivateDirTest, ADirectoryOthersMayWriteToIsRefusedAndLeftAsItWas) {
  const fs::path open = dir() / "open";
  fs::create_directory(open);
  ::chmod(open.c_str(), 0770);
  Status refused = ensure_private_dir(open);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message(), "mode 0770")) << refused.error().message();
  EXPECT_TRUE(contains(refused.error().message(), "chmod 700 " + open.string())) << refused.error().message();
  EXPECT_EQ(mode_of(open), 0770u) << "the check changed what others could have written to";
}

TEST_F(PrivateDirTest, OneOfOursThatOthersMayOnlyReadIsNarrowedTo0700) {
  const fs::path readable = dir() / "readable";
  fs::create_directory(readable);
  ::chmod(readable.c_str(), 0755);
  Status narrowed = ensure_private_dir(readable);
  ASSERT_TRUE(narrowed) << narrowed.error().message();
  EXPECT_EQ(mode_of(readable), 0700u);
}

TEST_F(PrivateDirTest, ASymlinkIsRefusedEvenToAPrivateDirectory) {
  const fs::path target = dir() / "target";
  ASSERT_TRUE(ensure_private_dir(target));
  const fs::path link = dir() / "link";
  fs::create_directory_symlink(target, link);
  Status refused = ensure_private_dir(link);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message(), "symbolic link")) << refused.error().message();
  EXPECT_FALSE(check_owned_dir(link));
}

TEST_F(PrivateDirTest, ADirectoryOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory away";
  const fs::path foreign = dir() / "foreign";
  fs::create_directory(foreign);
  ::chmod(foreign.c_str(), 0700);
  ASSERT_EQ(::chown(foreign.c_str(), 65534, 65534), 0);
  Status refused = ensure_private_dir(foreign);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message(), "belongs to uid 65534")) << refused.error().message();
  EXPECT_FALSE(check_owned_dir(foreign));
}

TEST_F(PrivateDirTest, AFileIsNotADirectory) {
  const fs::path file = dir() / "file";
  { std::ofstream(file) << "x"; }
  Status refused = ensure_private_dir(file);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message(), "not a directory")) << refused.error().message();
}

TEST(RuntimeRoot, RunAndStateDirectoriesLieUnderTheCheckedRoot) {
  auto root = runtime_root();
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(mode_of(*root), 0700u);
  auto run = run_dirs_root();
  ASSERT_TRUE(run) << run.error().message();
  EXPECT_EQ(*run, *root / "run");
  EXPECT_EQ(mode_of(*run), 0700u);
  auto vms = vm_states_root();
  ASSERT_TRUE(vms) << vms.error().message();
  EXPECT_EQ(*vms, *root / "vms");
}

}  // namespace
}  // namespace hotmem::host

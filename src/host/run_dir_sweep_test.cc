// sweep_orphaned_run_dirs: the run directories a killed daemon left go;
// those of live owners, and anything not a VM's, stay.
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/process.h"
#include "common/temp_dir.h"
#include "host/function_vm.h"

namespace hotmem::host {
namespace {

pid_t dead_pid() {
  SpawnOptions options;
  options.argv = {"true"};
  auto child = ChildProcess::spawn(options);
  EXPECT_TRUE(child) << child.error().message();
  if (!child) return 0;
  (void)child->wait_for(std::chrono::seconds(5));
  return child->pid();
}

void make_run_dir(const std::filesystem::path& dir, std::optional<pid_t> owner) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "console.log") << "boot\n";
  if (owner) std::ofstream(dir / kRunDirOwnerFile) << *owner << "\n";
}

TEST(SweepOrphanedRunDirs, RemovesOnlyTheRunDirsOfOwnersThatAreGone) {
  auto parent = TempDir::create("/tmp", "sweep-test-");
  ASSERT_TRUE(parent) << parent.error().message();
  const auto& p = parent->path();
  const pid_t gone = dead_pid();
  ASSERT_GT(gone, 0);
  make_run_dir(p / "hotmem-orphan-abc123", gone);
  make_run_dir(p / "hotmem-live-def456", ::getpid());
  make_run_dir(p / "hotmem-unowned-ghi789", std::nullopt);
  make_run_dir(p / "other-jkl012", gone);
  std::ofstream(p / "hotmem-a-file") << gone << "\n";

  const auto swept = sweep_orphaned_run_dirs(p);
  ASSERT_EQ(swept.size(), 1u);
  EXPECT_NE(swept[0].find("hotmem-orphan-abc123"), std::string::npos) << swept[0];
  EXPECT_NE(swept[0].find(std::to_string(gone)), std::string::npos) << swept[0];
  EXPECT_FALSE(std::filesystem::exists(p / "hotmem-orphan-abc123"));
  EXPECT_TRUE(std::filesystem::exists(p / "hotmem-live-def456"));
  EXPECT_TRUE(std::filesystem::exists(p / "hotmem-unowned-ghi789"));
  EXPECT_TRUE(std::filesystem::exists(p / "other-jkl012"));
  EXPECT_TRUE(std::filesystem::exists(p / "hotmem-a-file"));
  EXPECT_TRUE(sweep_orphaned_run_dirs(p).empty()) << "a second sweep found more";
}

}  // namespace
}  // namespace hotmem::host

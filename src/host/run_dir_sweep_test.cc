// sweep_orphaned_run_dirs: the run directories a killed daemon left go;
// those of live owners, of other users, links, and anything it cannot tell
// is an orphan of ours stay; only QEMU is ever killed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/process.h"
#include "common/test_helpers.h"
#include "host/run_dir.h"
#include "host/testing/scratch_dir.h"

namespace hotmem::host {
namespace {

namespace fs = std::filesystem;

using test::contains;

// A process that has ended and been reaped: its pid names nobody (for now).
ProcessIdentity gone_process() {
  SpawnOptions options;
  options.argv = {"true"};
  auto child = ChildProcess::spawn(options);
  EXPECT_TRUE(child) << child.error().message();
  if (!child) return {};
  (void)child->wait_for(std::chrono::seconds(5));
  return {child->pid(), 4242};
}

ProcessIdentity self() {
  auto me = process_identity(::getpid());
  EXPECT_TRUE(me) << me.error().message();
  return me ? *me : ProcessIdentity{};
}

void make_run_dir(const fs::path& dir, std::optional<ProcessIdentity> owner) {
  fs::create_directories(dir);
  std::ofstream(dir / "console.log") << "boot\n";
  if (owner) std::ofstream(dir / kOwnerFile) << owner->pid << " " << owner->start_ticks << "\n";
}

bool any_line_has(const std::vector<std::string>& lines, const std::string& needle) {
  for (const std::string& line : lines) {
    if (contains(line, needle)) return true;
  }
  return false;
}

class RunDirSweepTest : public ScratchDirTest {
 protected:
  const fs::path& parent() const { return dir(); }
  SweepReport sweep(const fs::path& qemu = "/usr/bin/qemu-system-x86_64") {
    return sweep_orphaned_run_dirs(parent(), qemu);
  }
};

TEST_F(RunDirSweepTest, RemovesOnlyTheRunDirsOfOwnersThatAreGone) {
  const ProcessIdentity gone = gone_process();
  ASSERT_GT(gone.pid, 0);
  make_run_dir(parent() / "orphan-abc123", gone);
  make_run_dir(parent() / "live-def456", self());
  make_run_dir(parent() / "unowned-ghi789", std::nullopt);
  make_run_dir(parent() / "pid-only-jkl012", std::nullopt);
  std::ofstream(parent() / "pid-only-jkl012" / kOwnerFile) << gone.pid << "\n";  // the old format: no start time
  std::ofstream(parent() / "a-file") << gone.pid << "\n";

  const SweepReport swept = sweep();
  ASSERT_EQ(swept.removed.size(), 1u) << fmt::format("{}", fmt::join(swept.removed, "\n"));
  EXPECT_TRUE(contains(swept.removed[0], "orphan-abc123")) << swept.removed[0];
  EXPECT_TRUE(contains(swept.removed[0], std::to_string(gone.pid))) << swept.removed[0];
  EXPECT_FALSE(fs::exists(parent() / "orphan-abc123"));
  EXPECT_TRUE(fs::exists(parent() / "live-def456"));
  EXPECT_TRUE(fs::exists(parent() / "unowned-ghi789"));
  EXPECT_TRUE(fs::exists(parent() / "pid-only-jkl012"));
  EXPECT_TRUE(fs::exists(parent() / "a-file"));
  // What it left and could not judge, it says; a live owner's is no news.
  EXPECT_TRUE(any_line_has(swept.left, "unowned-ghi789")) << fmt::format("{}", fmt::join(swept.left, "\n"));
  EXPECT_TRUE(any_line_has(swept.left, "pid-only-jkl012"));
  EXPECT_TRUE(any_line_has(swept.left, "a-file"));
  EXPECT_FALSE(any_line_has(swept.left, "live-def456"));
  EXPECT_TRUE(sweep().removed.empty()) << "a second sweep found more";
}

TEST_F(RunDirSweepTest, AReusedPidWithAnotherStartTimeCountsAsGone) {
  // This process's pid, but not this process: it started at another time.
  ProcessIdentity impostor = self();
  impostor.start_ticks += 1;
  make_run_dir(parent() / "reused-abc123", impostor);
  make_run_dir(parent() / "mine-def456", self());
  const SweepReport swept = sweep();
  ASSERT_EQ(swept.removed.size(), 1u);
  EXPECT_TRUE(contains(swept.removed[0], "reused-abc123")) << swept.removed[0];
  EXPECT_FALSE(fs::exists(parent() / "reused-abc123"));
  EXPECT_TRUE(fs::exists(parent() / "mine-def456"));
}

TEST_F(RunDirSweepTest, DirectoriesOfOtherUsersAndLinksAreLeftAlone) {
  const ProcessIdentity gone = gone_process();
  // A link to an orphan elsewhere: neither the link nor what it names goes.
  auto elsewhere = scratch_dir("sweep-elsewhere");
  ASSERT_TRUE(elsewhere) << elsewhere.error().message();
  make_run_dir(elsewhere->path() / "target-abc123", gone);
  fs::create_directory_symlink(elsewhere->path() / "target-abc123", parent() / "link-abc123");
  if (::geteuid() == 0) {
    make_run_dir(parent() / "foreign-def456", gone);
    ASSERT_EQ(::chown((parent() / "foreign-def456").c_str(), 65534, 65534), 0);
  }
  const SweepReport swept = sweep();
  EXPECT_TRUE(swept.removed.empty()) << fmt::format("{}", fmt::join(swept.removed, "\n"));
  EXPECT_TRUE(fs::is_symlink(parent() / "link-abc123"));
  EXPECT_TRUE(fs::exists(elsewhere->path() / "target-abc123" / "console.log"));
  EXPECT_TRUE(any_line_has(swept.left, "symbolic link")) << fmt::format("{}", fmt::join(swept.left, "\n"));
  if (::geteuid() == 0) {
    EXPECT_TRUE(fs::exists(parent() / "foreign-def456" / "console.log"));
    EXPECT_TRUE(any_line_has(swept.left, "belongs to uid 65534")) << fmt::format("{}", fmt::join(swept.left, "\n"));
  }
}

// A process whose command line names something in `dir`: `tail -f` of its
// console log, as an operator might run. Returns once it runs tail.
std::optional<ChildProcess> tail_console_of(const fs::path& dir) {
  SpawnOptions options;
  options.argv = {"tail", "-f", (dir / "console.log").string()};
  auto child = ChildProcess::spawn(options);
  EXPECT_TRUE(child) << child.error().message();
  if (!child) return std::nullopt;
  for (int i = 0; i < 500; ++i) {
    auto exe = process_executable(child->pid());
    if (exe && exe->filename() == "tail") return std::move(*child);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "tail never started";
  return std::nullopt;
}

TEST_F(RunDirSweepTest, AProcessThatIsNotQemuIsNeitherKilledNorLeftWithoutItsDirectory) {
  const fs::path orphan = parent() / "orphan-abc123";
  make_run_dir(orphan, gone_process());
  auto tail = tail_console_of(orphan);
  ASSERT_TRUE(tail);
  const SweepReport swept = sweep();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(tail->running()) << "the sweep killed a process that is not QEMU";
  EXPECT_TRUE(swept.removed.empty()) << fmt::format("{}", fmt::join(swept.removed, "\n"));
  EXPECT_TRUE(fs::exists(orphan / "console.log"));
  EXPECT_TRUE(any_line_has(swept.left, fmt::format("pid {}", tail->pid())))
      << fmt::format("{}", fmt::join(swept.left, "\n"));
  tail->terminate(std::chrono::seconds(1));
}

TEST_F(RunDirSweepTest, TheQemuOfAnOrphanIsKilledAndItsDirectoryRemoved) {
  const fs::path orphan = parent() / "orphan-abc123";
  make_run_dir(orphan, gone_process());
  auto tail = tail_console_of(orphan);
  ASSERT_TRUE(tail);
  // tail stands in for QEMU: the sweep is told it is the QEMU binary.
  auto tail_binary = process_executable(tail->pid());
  ASSERT_TRUE(tail_binary) << tail_binary.error().message();
  const SweepReport swept = sweep(*tail_binary);
  auto ended = tail->wait_for(std::chrono::seconds(5));
  ASSERT_TRUE(ended) << "the orphan's QEMU still runs";
  EXPECT_TRUE(WIFSIGNALED(*ended) && WTERMSIG(*ended) == SIGKILL) << describe_wait_status(*ended);
  ASSERT_EQ(swept.removed.size(), 1u) << fmt::format("{}", fmt::join(swept.left, "\n"));
  EXPECT_TRUE(contains(swept.removed[0], fmt::format("killed its QEMU {}", tail->pid()))) << swept.removed[0];
  EXPECT_FALSE(fs::exists(orphan));
}

TEST(RunDirOwner, ARecordNamesThisProcessAndItsStartTime) {
  auto dir = scratch_dir("owner");
  ASSERT_TRUE(dir) << dir.error().message();
  ASSERT_TRUE(record_owner(dir->path()));
  auto owner = recorded_owner(dir->path());
  ASSERT_TRUE(owner) << owner.error().message();
  EXPECT_EQ(*owner, self());
  EXPECT_TRUE(process_alive(*owner));
  std::ofstream(dir->path() / kOwnerFile) << "12 not-a-time\n";
  EXPECT_FALSE(recorded_owner(dir->path()));
}

TEST(RunDirOwner, ARunDirectoryIsPrivateAndNamesItsOwner) {
  auto dir = create_run_dir("sweep-test");
  ASSERT_TRUE(dir) << dir.error().message();
  EXPECT_TRUE(dir->path().filename().string().starts_with("sweep-test-")) << dir->path();
  auto root = run_dirs_root();
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(dir->path().parent_path(), *root);
  EXPECT_EQ(fs::status(dir->path()).permissions(), fs::perms::owner_all);
  auto owner = recorded_owner(dir->path());
  ASSERT_TRUE(owner) << owner.error().message();
  EXPECT_EQ(*owner, self());
}

}  // namespace
}  // namespace hotmem::host

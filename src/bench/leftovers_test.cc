// find_leftovers: what a run left counts, what others own does not.
#include "bench/leftovers.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/process.h"
#include "common/test_helpers.h"
#include "host/run_dir.h"
#include "host/testing/scratch_dir.h"

namespace hotmem::bench {
namespace {

namespace fs = std::filesystem;

using test::contains;

class LeftoversTest : public host::ScratchDirTest {};

TEST_F(LeftoversTest, NothingLeftIsNothing) {
  const fs::path gone = dir() / "vm-gone";  // its run directory was removed
  const std::vector<SeenVm> seen{{{::getpid(), 1}, gone, ""}};  // not this process: another start time
  const Leftovers left = find_leftovers(seen, dir(), "/usr/bin/qemu-system-x86_64");
  EXPECT_EQ(left.count(), 0u) << left.to_json().dump();
}

TEST_F(LeftoversTest, ARunDirectoryOfOursAndAProcessNamingOneAreLeft) {
  const fs::path ours = dir() / "ours-abc123";
  fs::create_directories(ours);
  ASSERT_TRUE(host::record_owner(ours));
  const fs::path theirs = dir() / "theirs-abc123";
  fs::create_directories(theirs);
  std::ofstream(theirs / host::kOwnerFile) << "1 1\n";
  const fs::path seen_dir = dir() / "seen-abc123";
  fs::create_directories(seen_dir);
  std::ofstream(seen_dir / "console.log") << "boot\n";

  SpawnOptions options;  // an operator's tail -f of a console log: not QEMU, but it counts
  options.argv = {"tail", "-f", (seen_dir / "console.log").string()};
  auto holder = ChildProcess::spawn(options);
  ASSERT_TRUE(holder) << holder.error().message();
  auto identity = process_identity(holder->pid());
  ASSERT_TRUE(identity);

  const Leftovers left = find_leftovers({{*identity, seen_dir, ""}}, dir(), "/nonexistent/qemu");
  ASSERT_EQ(left.qemu_processes.size(), 1u) << left.to_json().dump();
  EXPECT_TRUE(contains(left.qemu_processes[0], std::to_string(holder->pid()))) << left.qemu_processes[0];
  ASSERT_EQ(left.run_dirs.size(), 2u) << left.to_json().dump();
  EXPECT_EQ(left.run_dirs[0], ours.string());
  EXPECT_EQ(left.run_dirs[1], seen_dir.string());
  EXPECT_TRUE(left.cgroups.empty());
  ::kill(holder->pid(), SIGKILL);
  (void)holder->wait_for(std::chrono::seconds(5));
}

TEST_F(LeftoversTest, OnlyACgroupOtherThanOursThatStillExistsIsLeft) {
  auto own = process_cgroup(::getpid());
  ASSERT_TRUE(own) << own.error().message();
  const std::vector<SeenVm> seen{{{}, "", *own}, {{}, "", "/hotmem-no-such-cgroup"}};
  EXPECT_TRUE(find_leftovers(seen, dir(), "/usr/bin/qemu-system-x86_64").cgroups.empty());
}

}  // namespace
}  // namespace hotmem::bench

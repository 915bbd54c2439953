#include "common/process.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "common/proc_stats.h"

namespace hotmem {
namespace {

// PR_SET_PDEATHSIG is tied to the thread that forked: a child spawned by a
// thread that has since ended must still be running.
TEST(ChildProcess, OutlivesTheThreadThatSpawnedIt) {
  std::optional<ChildProcess> child;
  std::thread([&child] {
    SpawnOptions options;
    options.argv = {"sleep", "30"};
    auto spawned = ChildProcess::spawn(options);
    ASSERT_TRUE(spawned) << spawned.error().message();
    child.emplace(std::move(*spawned));
  }).join();
  ASSERT_TRUE(child.has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(child->running()) << "the child died with the thread that spawned it: "
                                << describe_wait_status(child->wait_status().value_or(0));
  child->terminate(std::chrono::seconds(1));
  EXPECT_FALSE(child->running());
}

TEST(ChildProcess, AProgramThatDoesNotExistIsAnErrorNamingIt) {
  SpawnOptions options;
  options.argv = {"/nonexistent/hotmem-no-such-program"};
  auto spawned = ChildProcess::spawn(options);
  ASSERT_FALSE(spawned);
  EXPECT_NE(spawned.error().message().find("hotmem-no-such-program"), std::string::npos) << spawned.error().message();
}

TEST(FindProgram, LooksInPathAsExecWould) {
  auto sh = find_program("sh");
  ASSERT_TRUE(sh) << sh.error().message();
  EXPECT_TRUE(sh->is_absolute()) << *sh;
  auto missing = find_program("hotmem-no-such-program");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("hotmem-no-such-program"), std::string::npos) << missing.error().message();
  EXPECT_FALSE(find_program("/nonexistent/hotmem-no-such-program"));
}

// A process is known by its pid and start time: alive while it runs, not
// once it has ended (zombie or reaped), and never under another start time.
Result<ChildProcess> spawn_sleeper() {
  SpawnOptions options;
  options.argv = {"sleep", "30"};
  return ChildProcess::spawn(options);
}

TEST(ProcessIdentity, NamesOneProcessFromStartToEnd) {
  auto child = spawn_sleeper();
  ASSERT_TRUE(child) << child.error().message();
  auto identity = process_identity(child->pid());
  ASSERT_TRUE(identity) << identity.error().message();
  EXPECT_EQ(identity->pid, child->pid());
  EXPECT_TRUE(process_alive(*identity));
  EXPECT_FALSE(process_alive({identity->pid, identity->start_ticks + 1}));
  ::kill(child->pid(), SIGKILL);  // a zombie until reaped below
  for (int i = 0; i < 500 && process_alive(*identity); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(process_alive(*identity)) << "a zombie is not alive";
  EXPECT_TRUE(process_identity(child->pid())) << "reaped too early: the zombie went untested";
  (void)child->wait_for(std::chrono::seconds(5));
  EXPECT_FALSE(process_alive(*identity));
  EXPECT_FALSE(process_identity(child->pid()));
}

TEST(ChildrenOf, ListsTheLiveChildrenOnly) {
  auto child = spawn_sleeper();
  ASSERT_TRUE(child) << child.error().message();
  auto children = children_of(::getpid());
  EXPECT_NE(std::find(children.begin(), children.end(), child->pid()), children.end());
  EXPECT_TRUE(children_of(child->pid()).empty());
  ::kill(child->pid(), SIGKILL);  // a zombie until reaped
  auto identity = process_identity(child->pid());
  for (int i = 0; i < 500 && identity && process_alive(*identity); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  children = children_of(::getpid());
  EXPECT_EQ(std::find(children.begin(), children.end(), child->pid()), children.end()) << "a zombie is no child left";
  (void)child->wait_for(std::chrono::seconds(5));
}

TEST(ProcessCgroup, IsAPathInTheHierarchy) {
  auto cgroup = process_cgroup(::getpid());
  ASSERT_TRUE(cgroup) << cgroup.error().message();
  EXPECT_TRUE(cgroup->starts_with("/")) << *cgroup;
  EXPECT_FALSE(process_cgroup(0));
}

TEST(ProcessExecutable, IsTheProgramFileAProcessRuns) {
  auto self = process_executable(::getpid());
  ASSERT_TRUE(self) << self.error().message();
  EXPECT_EQ(self->filename(), "hotmem_unit_tests");
  EXPECT_FALSE(process_executable(0));
}

}  // namespace
}  // namespace hotmem

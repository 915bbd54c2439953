#include "common/process.h"

#include <signal.h>

#include <thread>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hotmem

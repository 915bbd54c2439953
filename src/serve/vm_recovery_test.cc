#include "serve/vm_recovery.h"

#include <gtest/gtest.h>

#include "common/test_helpers.h"

namespace hotmem::serve {
namespace {

using namespace std::chrono_literals;
using hotmem::test::contains;

// The policy's time is whatever the test says: a clock that only moves when
// advanced.
struct TestTime {
  Clock::time_point now = Clock::time_point() + 1000h;
  void advance(Clock::duration by) { now += by; }
};

TEST(VmRecovery, BacksOffOneSecondDoublingUntilTheFifthFailureInTenMinutesStopsIt) {
  TestTime t;
  VmRecovery r;
  EXPECT_EQ(r.state(), VmState::kReady);
  const std::vector<Clock::duration> waits{1s, 2s, 4s, 8s};
  for (std::size_t i = 0; i < waits.size(); ++i) {
    ASSERT_EQ(r.failed(t.now, "boom " + std::to_string(i)), VmState::kRecovering) << i;
    EXPECT_EQ(r.next_attempt() - t.now, waits[i]) << i;
    t.advance(waits[i]);
    r.attempting();
    EXPECT_EQ(r.attempts(), i + 1);
  }
  EXPECT_EQ(r.failed(t.now, "boom 4"), VmState::kCrashLooping);
  EXPECT_EQ(r.state(), VmState::kCrashLooping);
  ASSERT_EQ(r.failures().size(), 5u);
  EXPECT_EQ(r.failures().front().reason, "boom 0");
  EXPECT_EQ(r.last_reason(), "boom 4");
  const std::string summary = r.summary(t.now);
  EXPECT_TRUE(contains(summary, "5 failure(s) within 600 s")) << summary;
  EXPECT_TRUE(contains(summary, "boom 0 (15.0 s ago)")) << summary;
  EXPECT_TRUE(contains(summary, "boom 4 (0.0 s ago)")) << summary;

  // Crash-looping is for good: neither failures nor boots change it.
  EXPECT_EQ(r.failed(t.now + 1h, "later"), VmState::kCrashLooping);
  r.recovered();
  EXPECT_EQ(r.state(), VmState::kCrashLooping);
  EXPECT_EQ(r.recoveries(), 0u);
}

TEST(VmRecovery, TheBackoffStopsGrowingAtItsCap) {
  TestTime t;
  VmRecovery r({.backoff_first = 1s, .backoff_max = 60s, .crash_loop_failures = 20, .crash_loop_window = 1h});
  std::vector<Clock::duration> waits;
  for (int i = 0; i < 9; ++i) {
    ASSERT_EQ(r.failed(t.now, "boom"), VmState::kRecovering);
    waits.push_back(r.next_attempt() - t.now);
    t.advance(waits.back());
  }
  EXPECT_EQ(waits, (std::vector<Clock::duration>{1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s}));
}

TEST(VmRecovery, FailuresOlderThanTheWindowNeitherCountNorGrowTheBackoff) {
  TestTime t;
  VmRecovery r;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(r.failed(t.now, "old"), VmState::kRecovering);
    r.attempting();
    t.advance(1s);
  }
  r.recovered();
  EXPECT_EQ(r.state(), VmState::kReady);
  EXPECT_EQ(r.attempts(), 0u);
  EXPECT_EQ(r.recoveries(), 1u);
  // Ten minutes later the four are forgotten: the next failure waits 1 s.
  t.advance(10min);
  ASSERT_EQ(r.failed(t.now, "new"), VmState::kRecovering);
  EXPECT_EQ(r.next_attempt() - t.now, 1s);
  ASSERT_EQ(r.failures().size(), 1u);
  EXPECT_EQ(r.failures().front().reason, "new");
}

TEST(VmRecovery, FiveFailuresSpreadOverMoreThanTheWindowAreNoCrashLoop) {
  TestTime t;
  VmRecovery r;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(r.failed(t.now, "sometimes"), VmState::kRecovering) << i;
    r.attempting();
    r.recovered();
    t.advance(151s);  // the fifth would be 604 s after the first
  }
  EXPECT_EQ(r.recoveries(), 10u);
  EXPECT_LE(r.failures().size(), 4u);
}

TEST(VmRecovery, InjectedConstantsShortenEverything) {
  TestTime t;
  VmRecovery r({.backoff_first = 10ms, .backoff_max = 25ms, .crash_loop_failures = 3, .crash_loop_window = 1s});
  ASSERT_EQ(r.failed(t.now, "a"), VmState::kRecovering);
  EXPECT_EQ(r.next_attempt() - t.now, 10ms);
  ASSERT_EQ(r.failed(t.now, "b"), VmState::kRecovering);
  EXPECT_EQ(r.next_attempt() - t.now, 20ms);
  t.advance(2s);  // a and b fall out of the window
  ASSERT_EQ(r.failed(t.now, "c"), VmState::kRecovering);
  EXPECT_EQ(r.next_attempt() - t.now, 10ms);
  ASSERT_EQ(r.failed(t.now, "d"), VmState::kRecovering);
  EXPECT_EQ(r.next_attempt() - t.now, 20ms);
  ASSERT_EQ(r.failed(t.now, "e"), VmState::kCrashLooping);

  VmRecovery never_again({.crash_loop_failures = 1});
  EXPECT_EQ(never_again.failed(t.now, "once"), VmState::kCrashLooping);
}

TEST(VmRecovery, DescribesAttemptsRecoveriesAndDatedFailures) {
  TestTime t;
  VmRecovery r;
  ASSERT_EQ(r.failed(t.now, "QEMU killed by signal 9"), VmState::kRecovering);
  r.attempting();
  t.advance(250ms);
  // 2026-01-02T03:04:05Z on the wall clock is "now".
  const auto wall = std::chrono::sys_days(std::chrono::year(2026) / 1 / 2) + 3h + 4min + 5s;
  const nlohmann::json j = r.to_json(t.now, wall);
  EXPECT_EQ(j["attempts"], 1);
  EXPECT_EQ(j["recoveries"], 0);
  EXPECT_DOUBLE_EQ(j["next_attempt_in_s"].get<double>(), 0.75);
  ASSERT_EQ(j["failures"].size(), 1u);
  EXPECT_EQ(j["failures"][0]["reason"], "QEMU killed by signal 9");
  EXPECT_EQ(j["failures"][0]["at"], "2026-01-02T03:04:04Z");  // 0.25 s earlier, whole seconds
  EXPECT_DOUBLE_EQ(j["failures"][0]["ago_s"].get<double>(), 0.25);

  r.recovered();
  EXPECT_FALSE(r.to_json(t.now, wall).contains("next_attempt_in_s"));
}

}  // namespace
}  // namespace hotmem::serve

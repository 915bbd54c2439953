#include "serve/committed_history.h"

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

// A time at the start of a second, so the tests know which second a change falls in.
Clock::time_point history_second(long s) { return Clock::time_point(std::chrono::seconds(1'000'000 + s)); }

TEST(CommittedHistory, OneSamplePerSecondWithItsLastValueAndItsPeak) {
  CommittedHistory h;
  h.record(history_second(0), 100);
  h.record(history_second(0) + std::chrono::milliseconds(200), 500);  // a cold start...
  h.record(history_second(0) + std::chrono::milliseconds(700), 300);  // ...and part of it back
  h.record(history_second(3) + std::chrono::milliseconds(10), 200);
  const nlohmann::json j = h.to_json(history_second(10));
  EXPECT_EQ(j["window_s"], 300);
  EXPECT_EQ(j["resolution_ms"], 1000);
  ASSERT_EQ(j["samples"].size(), 2u) << j.dump();
  EXPECT_DOUBLE_EQ(j["samples"][0]["age_ms"].get<double>(), 10'000.0);
  EXPECT_EQ(j["samples"][0]["last_bytes"], 300);
  EXPECT_EQ(j["samples"][0]["peak_bytes"], 500);
  EXPECT_DOUBLE_EQ(j["samples"][1]["age_ms"].get<double>(), 7'000.0);
  EXPECT_EQ(j["samples"][1]["last_bytes"], 200);
  EXPECT_EQ(j["samples"][1]["peak_bytes"], 200);
}

TEST(CommittedHistory, KeepsWhatTheWindowBeganWithAndDropsWhatCameBefore) {
  CommittedHistory h;
  h.record(history_second(0), 1);
  h.record(history_second(10), 2);    // what the window below begins with
  h.record(history_second(400), 3);   // inside it
  const nlohmann::json j = h.to_json(history_second(400));
  ASSERT_EQ(j["samples"].size(), 2u) << j.dump();
  EXPECT_EQ(j["samples"][0]["last_bytes"], 2);
  EXPECT_GT(j["samples"][0]["age_ms"].get<double>(), 300'000.0);
  EXPECT_EQ(j["samples"][1]["last_bytes"], 3);
  // Asked later, without a change since: the last value is all there is.
  const nlohmann::json later = h.to_json(history_second(1000));
  ASSERT_EQ(later["samples"].size(), 1u) << later.dump();
  EXPECT_EQ(later["samples"][0]["last_bytes"], 3);
}

TEST(CommittedHistory, StaysBoundedUnderAChangeEveryFewMilliseconds) {
  CommittedHistory h;
  for (int i = 0; i < 20 * 60 * 100; ++i) h.record(history_second(0) + std::chrono::milliseconds(10 * i), std::uint64_t(i % 7));
  const nlohmann::json j = h.to_json(history_second(20 * 60));
  EXPECT_LE(j["samples"].size(), 302u);
  EXPECT_GE(j["samples"].size(), 300u);
}

TEST(CommittedHistory, NothingRecordedIsAnEmptyList) {
  EXPECT_TRUE(CommittedHistory().to_json(Clock::now())["samples"].empty());
}

}  // namespace
}  // namespace hotmem::serve

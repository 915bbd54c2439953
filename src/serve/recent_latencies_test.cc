#include "serve/recent_latencies.h"

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

TEST(RecentLatencies, NoInvocationYetHasNoFiguresAndAnEmptyList) {
  const RecentLatencies none;
  const nlohmann::json j = none.to_json(Clock::now());
  EXPECT_EQ(j["count"], 0);
  EXPECT_EQ(j["invocations"], 0);
  EXPECT_EQ(j["window_s"], 300);
  EXPECT_TRUE(j["recent"].empty());
  EXPECT_FALSE(j.contains("p50_ms"));
  EXPECT_FALSE(j.contains("p99_ms"));
}

TEST(RecentLatencies, ListsTheWindowOldestFirstWithAgesAndNearestRankPercentiles) {
  RecentLatencies recent;
  const Clock::time_point now = Clock::now();
  // 100 invocations of 1..100 ms, ended 100..1 s ago, every tenth cold.
  for (int i = 1; i <= 100; ++i) recent.record(now - std::chrono::seconds(101 - i), std::chrono::milliseconds(i), i % 10 == 0);
  const nlohmann::json j = recent.to_json(now);
  EXPECT_EQ(j["count"], 100);
  EXPECT_EQ(j["invocations"], 100);
  EXPECT_DOUBLE_EQ(j["p50_ms"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(j["p99_ms"].get<double>(), 99.0);
  EXPECT_DOUBLE_EQ(j["max_ms"].get<double>(), 100.0);
  ASSERT_EQ(j["recent"].size(), 100u);
  const nlohmann::json& first = j["recent"].front();
  EXPECT_EQ(first["seq"], 1);
  EXPECT_DOUBLE_EQ(first["age_ms"].get<double>(), 100'000.0);
  EXPECT_DOUBLE_EQ(first["total_ms"].get<double>(), 1.0);
  EXPECT_EQ(first["cold"], false);
  EXPECT_EQ(j["recent"][9]["cold"], true);
  EXPECT_EQ(j["recent"].back()["seq"], 100);
}

TEST(RecentLatencies, InvocationsOlderThanTheWindowAreLeftOutButStillCounted) {
  RecentLatencies recent;
  const Clock::time_point now = Clock::now();
  recent.record(now - RecentLatencies::kWindow - std::chrono::seconds(1), std::chrono::milliseconds(900), true);
  recent.record(now - std::chrono::seconds(2), std::chrono::milliseconds(20), false);
  const nlohmann::json j = recent.to_json(now);
  EXPECT_EQ(j["invocations"], 2);
  EXPECT_EQ(j["count"], 1);
  ASSERT_EQ(j["recent"].size(), 1u);
  EXPECT_EQ(j["recent"][0]["seq"], 2);
  EXPECT_DOUBLE_EQ(j["max_ms"].get<double>(), 20.0);
}

TEST(RecentLatencies, KeepsTheLastKCapacityInvocations) {
  RecentLatencies recent;
  const Clock::time_point now = Clock::now();
  const std::size_t n = RecentLatencies::kCapacity + 10;
  for (std::size_t i = 0; i < n; ++i) recent.record(now, std::chrono::milliseconds(5), false);
  const nlohmann::json j = recent.to_json(now);
  EXPECT_EQ(j["invocations"], n);
  EXPECT_EQ(j["count"], RecentLatencies::kCapacity);
  EXPECT_EQ(j["recent"].front()["seq"], 11);
  EXPECT_EQ(j["recent"].back()["seq"], n);
}

}  // namespace
}  // namespace hotmem::serve

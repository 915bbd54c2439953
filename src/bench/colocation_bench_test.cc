#include "bench/colocation_bench.h"

#include <cmath>

#include <gtest/gtest.h>

namespace hotmem::bench {
namespace {

using std::chrono::milliseconds;

LatencyBuckets buckets(std::vector<std::uint64_t> count, std::vector<std::uint64_t> sum_us) {
  LatencyBuckets b;
  b.bucket = milliseconds(100);
  b.count = std::move(count);
  b.sum_us = std::move(sum_us);
  return b;
}

TEST(SecondsAroundEvent, EachBucketGoesToTheSecondItsMiddleFallsIn) {
  SecondsAroundEvent around(2, 2);
  // Opened 1.05 s before the event: bucket 0 spans -1.05..-0.95 s (middle
  // -1.0: second -1), bucket 1 -0.95..-0.85 (second -1), bucket 10 spans
  // -0.05..0.05 (middle 0: second 0), bucket 30 lies past the last second.
  std::vector<std::uint64_t> count(31, 0), sum(31, 0);
  count[0] = 2, sum[0] = 2000;
  count[1] = 1, sum[1] = 4000;
  count[10] = 4, sum[10] = 40000;
  count[30] = 9, sum[30] = 9;
  around.add(buckets(count, sum), -milliseconds(1050));
  EXPECT_EQ(around.first(), -2);
  EXPECT_EQ(around.last(), 1);
  EXPECT_EQ(around.requests(-2), 0u);
  EXPECT_EQ(around.requests(-1), 3u);
  EXPECT_DOUBLE_EQ(around.mean_ms(-1), 2.0);
  EXPECT_EQ(around.requests(0), 4u);
  EXPECT_DOUBLE_EQ(around.mean_ms(0), 10.0);
  EXPECT_TRUE(std::isnan(around.mean_ms(-2)));
  EXPECT_TRUE(std::isnan(around.mean_ms(1)));
  EXPECT_EQ(around.requests(5), 0u);  // outside: none
}

TEST(SecondsAroundEvent, InstancesAndEvictionsPool) {
  SecondsAroundEvent a(1, 2), b(1, 2);
  a.add(buckets({10}, {10000}), -milliseconds(1000));  // second -1: 10 requests of 1 ms
  a.add(buckets({10}, {30000}), -milliseconds(1000));  // another instance, 3 ms each
  b.add(buckets({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50000}),
        -milliseconds(1000));  // second 0: 5 of 10 ms
  a.merge(b);
  EXPECT_DOUBLE_EQ(a.mean_ms(-1), 2.0);
  EXPECT_DOUBLE_EQ(a.mean_before_ms(), 2.0);
  EXPECT_DOUBLE_EQ(a.mean_ms(0), 10.0);
  EXPECT_DOUBLE_EQ(a.worst_ms(0, a.last()), 10.0);
  EXPECT_DOUBLE_EQ(a.worst_ms(a.first(), -1), 2.0);
}

TEST(SecondsAroundEvent, NothingMeasuredIsNaNNotZero) {
  SecondsAroundEvent s(2, 3);
  EXPECT_TRUE(std::isnan(s.mean_before_ms()));
  EXPECT_TRUE(std::isnan(s.worst_ms(0, s.last())));
}

TEST(ColocationConfig, ChecksEverySettingAndSaysWhich) {
  EXPECT_TRUE(validate(ColocationConfig{}));
  auto says = [](ColocationConfig c, const char* what) {
    Status s = validate(c);
    ASSERT_FALSE(s) << what;
    EXPECT_NE(s.error().message().find(what), std::string::npos) << s.error().message();
  };
  ColocationConfig c;
  c.modes = {"nope"};
  says(c, "nope");
  c = {};
  c.serving = 0;
  says(c, "--serving and --evicted");
  c = {};
  c.evicted = 64;
  says(c, "--serving plus --evicted");
  c = {};
  c.work_kib = 224 * 1024;
  says(c, "--work-kib must be 1-229375");
  c = {};
  c.after_s = 0;
  says(c, "--before-s and --after-s");
  c = {};
  c.repeat = 0;
  says(c, "--repeat");
}

}  // namespace
}  // namespace hotmem::bench

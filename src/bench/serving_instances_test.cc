#include "bench/serving_instances.h"

#include <gtest/gtest.h>

namespace hotmem::bench {
namespace {

TEST(LatencyReport, SamplesAreMicrosecondsReadAsMs) {
  auto ms = parse_latency_report(R"({"window":1,"samples_us":[1500,20]})");
  ASSERT_TRUE(ms) << ms.error().message();
  EXPECT_EQ(*ms, (std::vector<double>{1.5, 0.02}));
}

TEST(LatencyReport, GarbageIsAnError) {
  for (const char* line : {"", "[]", R"({"window":1})", R"({"samples_us":[-1]})", R"({"samples_us":["1"]})",
                           R"({"samples_us":[1.5]})", R"({"samples_us":{}})"}) {
    EXPECT_FALSE(parse_latency_report(line)) << line;
  }
}

TEST(LatencyBuckets, CountsAndSumsPerBucket) {
  auto b = parse_latency_buckets(R"({"window":2,"bucket_ms":100,"count":[3,0,1],"sum_us":[4500,0,9]})");
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->bucket, std::chrono::milliseconds(100));
  EXPECT_EQ(b->count, (std::vector<std::uint64_t>{3, 0, 1}));
  EXPECT_EQ(b->sum_us, (std::vector<std::uint64_t>{4500, 0, 9}));
}

TEST(LatencyBuckets, GarbageIsAnErrorThatSaysWhat) {
  struct Case {
    const char* line;
    const char* says;
  };
  for (const Case& c : {
           Case{R"({"count":[1],"sum_us":[1]})", "'bucket_ms' must be 1-10000"},
           Case{R"({"bucket_ms":0,"count":[1],"sum_us":[1]})", "'bucket_ms' must be 1-10000"},
           Case{R"({"bucket_ms":10001,"count":[1],"sum_us":[1]})", "'bucket_ms' must be 1-10000"},
           Case{R"({"bucket_ms":100,"sum_us":[1]})", "'count' must be a list"},
           Case{R"({"bucket_ms":100,"count":[1],"sum_us":[-1]})", "'sum_us' must hold non-negative integers"},
           Case{R"({"bucket_ms":100,"count":[1,2],"sum_us":[1]})", "differ in length"},
           Case{R"({"bucket_ms":100,"count":[0],"sum_us":[1]})", "bucket 0 sums more"},
           Case{R"({"bucket_ms":100,"count":[1],"sum_us":[4294967296]})", "bucket 0 sums more"},
           Case{R"({"bucket_ms":100,"count":[18446744073709551615],"sum_us":[1]})", "bucket 0 sums more"},
       }) {
    auto b = parse_latency_buckets(c.line);
    ASSERT_FALSE(b) << c.line;
    EXPECT_NE(b.error().message().find(c.says), std::string::npos) << b.error().message();
  }
  std::string many = R"({"bucket_ms":1,"count":[)";
  for (int i = 0; i < 4097; ++i) many += i ? ",0" : "0";
  many += R"(],"sum_us":[]})";
  auto b = parse_latency_buckets(many);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message().find("more than 4096 buckets"), std::string::npos) << b.error().message();
}

}  // namespace
}  // namespace hotmem::bench

#include "common/cpu_affinity.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace hotmem {
namespace {

TEST(CpuList, ParsesTheKernelsFormat) {
  EXPECT_EQ(*parse_cpu_list("0-2,5\n"), (std::vector<int>{0, 1, 2, 5}));
  EXPECT_EQ(*parse_cpu_list("3"), (std::vector<int>{3}));
  EXPECT_EQ(*parse_cpu_list(""), (std::vector<int>{}));
  EXPECT_EQ(*parse_cpu_list("4,1-2,2"), (std::vector<int>{1, 2, 4}));
}

TEST(CpuList, RefusesWhatIsNotOne) {
  for (const char* bad : {"a", "1-", "-1", "3-1", "1,,2", "1 2", "99999"}) {
    EXPECT_FALSE(parse_cpu_list(bad)) << bad;
  }
}

TEST(CpuList, FormatsRanges) {
  EXPECT_EQ(format_cpu_list({0, 1, 2, 5}), "0-2,5");
  EXPECT_EQ(format_cpu_list({1}), "1");
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list({0, 2, 3}), "0,2-3");
}

TEST(SplitCores, GivesEachVcpuACoreOfItsOwnAndKeepsOneForTheRest) {
  auto split = split_cores({0, 1}, 1);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->vcpu_cores, (std::vector<int>{1}));
  EXPECT_EQ(split->other_cores, (std::vector<int>{0}));

  split = split_cores({0, 2, 4, 6}, 2);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->vcpu_cores, (std::vector<int>{4, 6}));
  EXPECT_EQ(split->other_cores, (std::vector<int>{0, 2}));
}

TEST(SplitCores, NoneWithoutACoreToSpare) {
  EXPECT_FALSE(split_cores({0, 1}, 2));
  EXPECT_FALSE(split_cores({0}, 1));
  EXPECT_FALSE(split_cores({0, 1}, 0));
}

TEST(CpuAffinity, ReadsAndSetsThisThreads) {
  auto before = allowed_cpus();
  ASSERT_TRUE(before) << before.error().message();
  ASSERT_FALSE(before->empty());
  ASSERT_TRUE(set_allowed_cpus(0, {before->front()}));
  EXPECT_EQ(*allowed_cpus(), (std::vector<int>{before->front()}));
  ASSERT_TRUE(set_allowed_cpus(0, *before));
  EXPECT_EQ(*allowed_cpus(), *before);
  EXPECT_FALSE(set_allowed_cpus(0, {}));
}

TEST(CpuAffinity, ListsThisProcesssThreads) {
  auto tids = thread_ids(::getpid());
  ASSERT_TRUE(tids) << tids.error().message();
  EXPECT_NE(std::find(tids->begin(), tids->end(), ::gettid()), tids->end());
  EXPECT_FALSE(thread_ids(-1));
}

}  // namespace
}  // namespace hotmem

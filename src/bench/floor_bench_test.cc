#include "bench/floor_bench.h"

#include <gtest/gtest.h>

#include "bench/suite.h"
#include "common/test_helpers.h"

namespace hotmem::bench {
namespace {

using test::contains;

ReclaimSample floor_sample(double ms, double device_ms, std::uint64_t migrated, std::uint64_t mib) {
  ReclaimSample s;
  s.reclaim_ms = ms;
  s.device_ms = device_ms;
  s.migrated_pages = migrated;
  s.reclaimed_bytes = mib * kMiB;
  s.rss_released_mib = static_cast<double>(mib) - 10;
  return s;
}

TEST(FloorBench, ValidateNamesWhatIsWrong) {
  FloorBenchConfig c;
  EXPECT_TRUE(validate(c).ok());
  c.sizes_mib = {768};
  EXPECT_TRUE(contains(validate(c).error().message(), "--sizes 768 must be a whole number of instances (512 MiB each)"));
  c.sizes_mib = {512 * 11};
  EXPECT_TRUE(contains(validate(c).error().message(), "needs 11 instances; the VM holds 10"));
  c.sizes_mib = {};
  EXPECT_FALSE(validate(c).ok());
  c = FloorBenchConfig{};
  c.utilization = 0;
  EXPECT_FALSE(validate(c).ok());
  c = FloorBenchConfig{};
  c.workload.instance_mib = 200;
  EXPECT_TRUE(contains(validate(c).error().message(), "multiple of 128"));
}

TEST(FloorBench, RunsTheReclaimBenchsUtilisationButAtLeastTheReclaimedPartitions) {
  FloorBenchConfig c;  // 10 partitions, 90%
  EXPECT_EQ(floor_running(c, 1), 9u);
  EXPECT_EQ(floor_running(c, 4), 9u);
  c.utilization = 0.2;
  EXPECT_EQ(floor_running(c, 1), 2u);
  EXPECT_EQ(floor_running(c, 4), 4u) << "the instances whose partitions (b) reclaims must run";
  c.utilization = 1.0;
  EXPECT_EQ(floor_running(c, 10), 10u);
}

TEST(FloorBench, TheVariantsTakeTurnsGoingFirst) {
  EXPECT_NE(unused_first(1), unused_first(2));
  EXPECT_EQ(unused_first(1), unused_first(3));
}

TEST(FloorBench, RowSetsTheReclaimAgainstTheFloor) {
  const std::vector<ReclaimSample> unused{floor_sample(40, 20, 0, 512), floor_sample(50, 25, 0, 512),
                                          floor_sample(44, 22, 0, 512)};
  const std::vector<ReclaimSample> reclaimed{floor_sample(55, 24, 0, 512), floor_sample(66, 30, 3, 512),
                                             floor_sample(60, 26, 0, 384)};
  const nlohmann::json row = floor_row(512, 9, 0.9, unused, reclaimed);
  EXPECT_EQ(row["mode"], "hotmem");
  EXPECT_EQ(row["reclaim_mib"], 512);
  EXPECT_EQ(row["instances_running"], 9);
  EXPECT_DOUBLE_EQ(row["unused_ms"].get<double>(), 44);
  EXPECT_DOUBLE_EQ(row["unused_ms_p25"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(row["unused_ms_p75"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(row["reclaim_ms"].get<double>(), 60);
  EXPECT_DOUBLE_EQ(row["device_ms"].get<double>(), 26);
  EXPECT_DOUBLE_EQ(row["unused_device_ms"].get<double>(), 22);
  EXPECT_DOUBLE_EQ(row["ratio_vs_floor"].get<double>(), 60.0 / 44);
  EXPECT_DOUBLE_EQ(row["device_ratio_vs_floor"].get<double>(), 26.0 / 22);
  EXPECT_EQ(row["reclaim_ms_all"].size(), 3u);
  // One sample that migrated or gave back less shows, not the median.
  EXPECT_DOUBLE_EQ(row["migrated_pages"].get<double>(), 3);
  EXPECT_DOUBLE_EQ(row["unused_migrated_pages"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(row["unplugged_mib"].get<double>(), 384);
  EXPECT_DOUBLE_EQ(row["unused_unplugged_mib"].get<double>(), 512);
}

TEST(FloorBench, RowWithoutSamplesHasNoRatio) {
  const nlohmann::json row = floor_row(512, 9, 0.9, {}, {});
  EXPECT_DOUBLE_EQ(row["ratio_vs_floor"].get<double>(), 0);
}

TEST(FloorBench, TableShowsEachVariantAndTheRatio) {
  const std::vector<ReclaimSample> unused{floor_sample(40, 20, 0, 512)};
  const std::vector<ReclaimSample> reclaimed{floor_sample(50, 24, 0, 512)};
  const nlohmann::json document{{"results", {floor_row(512, 9, 0.9, unused, reclaimed)}}};
  const std::string table = format_floor_table(document);
  EXPECT_TRUE(contains(table, "40.0 [40, 40]")) << table;
  EXPECT_TRUE(contains(table, "1.25x")) << table;
  EXPECT_TRUE(contains(table, "512 / 512 MiB")) << table;
  EXPECT_TRUE(contains(table, "hotmem reclaims 512 MiB in 1.25x the floor")) << table;
}

TEST(FloorBench, IsInTheQuickSuiteButNotTheSmokeRun) {
  const SuitePlan quick = suite_plan(SuiteSize::kQuick);
  ASSERT_TRUE(quick.floor.has_value());
  EXPECT_TRUE(validate(*quick.floor).ok());
  EXPECT_EQ(quick.floor->sizes_mib, (std::vector<std::uint64_t>{512, 2048}));
  const SuitePlan full = suite_plan(SuiteSize::kFull);
  ASSERT_TRUE(full.floor.has_value());
  EXPECT_TRUE(validate(*full.floor).ok());
  EXPECT_FALSE(suite_plan(SuiteSize::kSmoke).floor.has_value());
}

}  // namespace
}  // namespace hotmem::bench

#include "bench/one_to_one_bench.h"

#include <gtest/gtest.h>

#include "bench/suite.h"
#include "common/test_helpers.h"

namespace hotmem::bench {
namespace {

using test::contains;

ColdStartSample one_to_one_sample(double vmm, double total, double mib) {
  ColdStartSample s;
  s.vmm_ms = vmm;
  s.sandbox_ms = 20;
  s.init_ms = 10;
  s.exec_ms = 5;
  s.total_ms = total;
  s.memory_mib = mib;
  return s;
}

TEST(OneToOneBench, ValidateNamesWhatIsWrong) {
  OneToOneBenchConfig c;
  EXPECT_TRUE(validate(c).ok());
  c.runtimes = {"native", "java"};
  EXPECT_TRUE(contains(validate(c).error().message(), "runtime 'java'"));
  c = OneToOneBenchConfig{};
  c.starts = 64;
  EXPECT_TRUE(contains(validate(c).error().message(), "--starts"));
  c = OneToOneBenchConfig{};
  c.mode = "static";
  EXPECT_TRUE(contains(validate(c).error().message(), "not static"));
  c.mode = "nope";
  EXPECT_FALSE(validate(c).ok());
}

TEST(OneToOneBench, RowsGiveMediansAndTheNToOneRowTheRatios) {
  const std::vector<ColdStartSample> one{one_to_one_sample(9000, 9100, 300), one_to_one_sample(8000, 8100, 280),
                                         one_to_one_sample(10000, 10100, 320)};
  const std::vector<ColdStartSample> n{one_to_one_sample(40, 91, 60), one_to_one_sample(30, 81, 70), one_to_one_sample(50, 101, 50)};
  const auto rows = one_to_one_rows("python", "hotmem", one, n);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["model"], "1:1");
  EXPECT_EQ(rows[0]["vmm"], "boot");
  EXPECT_EQ(rows[0]["mode"], "static");
  EXPECT_DOUBLE_EQ(rows[0]["vmm_ms"].get<double>(), 9000);
  EXPECT_DOUBLE_EQ(rows[0]["cold_start_ms"].get<double>(), 9100);
  EXPECT_DOUBLE_EQ(rows[0]["memory_per_instance_mib"].get<double>(), 300);
  EXPECT_EQ(rows[0]["cold_start_ms_all"].size(), 3u);
  EXPECT_FALSE(rows[0].contains("cold_start_ratio"));
  EXPECT_EQ(rows[1]["model"], "N:1");
  EXPECT_EQ(rows[1]["vmm"], "plug");
  EXPECT_EQ(rows[1]["runtime"], "python");
  EXPECT_DOUBLE_EQ(rows[1]["cold_start_ratio"].get<double>(), 91.0 / 9100);
  EXPECT_DOUBLE_EQ(rows[1]["memory_per_instance_ratio"].get<double>(), 60.0 / 300);
  EXPECT_DOUBLE_EQ(rows[1]["vmm_ratio"].get<double>(), 40.0 / 9000);
  EXPECT_DOUBLE_EQ(rows[1]["sandbox_ratio"].get<double>(), 1.0);
}

TEST(OneToOneBench, TableShowsBothModelsAndTheRatios) {
  const auto rows = one_to_one_rows("native", "hotmem", {one_to_one_sample(9000, 9100, 300)}, {one_to_one_sample(40, 91, 60)});
  const std::string table =
      format_one_to_one_table(nlohmann::json{{"results", nlohmann::json(rows)}});
  EXPECT_TRUE(contains(table, "1:1")) << table;
  EXPECT_TRUE(contains(table, "N:1")) << table;
  EXPECT_TRUE(contains(table, "native: N:1 / 1:1 cold start 0.01x, memory per instance 0.20x")) << table;
}

TEST(OneToOneBench, IsInEveryPlanTheSmokeRunNativeOnly) {
  EXPECT_EQ(suite_plan(SuiteSize::kFull).one_to_one.runtimes, (std::vector<std::string>{"native", "python"}));
  EXPECT_EQ(suite_plan(SuiteSize::kQuick).one_to_one.runtimes, (std::vector<std::string>{"native", "python"}));
  const SuitePlan smoke = suite_plan(SuiteSize::kSmoke);
  EXPECT_EQ(smoke.one_to_one.runtimes, (std::vector<std::string>{"native"}));
  EXPECT_EQ(smoke.one_to_one.starts, 1);
  EXPECT_TRUE(validate(smoke.one_to_one).ok());
}

}  // namespace
}  // namespace hotmem::bench

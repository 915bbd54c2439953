// hotmem bench scale without a VM: what it refuses, and its table.
#include "bench/scale_bench.h"

#include <gtest/gtest.h>

namespace hotmem::bench {
namespace {

using nlohmann::json;

TEST(ScaleBench, RefusesCountsThePartitionsCannotHold) {
  EXPECT_TRUE(validate(ScaleBenchConfig{}));
  ScaleBenchConfig c;
  c.reclaim_counts = {1, 65};
  EXPECT_FALSE(validate(c));
  c.reclaim_counts = {0};
  EXPECT_FALSE(validate(c));
  c = ScaleBenchConfig{};
  c.partitions = 65;
  EXPECT_FALSE(validate(c));
  c = ScaleBenchConfig{};
  c.workload.instance_mib = 200;
  EXPECT_FALSE(validate(c)) << "not whole memory blocks";
  c = ScaleBenchConfig{};
  c.reclaim_counts.clear();
  EXPECT_FALSE(validate(c));
}

TEST(ScaleBench, TableSaysHowKAtOnceComparesWithOne) {
  json rows = json::array();
  for (int k : {1, 8}) {
    rows.push_back(json{{"partitions", 64},          {"reclaim_partitions", k},  {"reclaim_ms", 30.0 * k / 2 + 15},
                        {"reclaim_ms_per_partition", (30.0 * k / 2 + 15) / k}, {"guest_cpu_ms", 40.0},
                        {"migrated_pages", 0},       {"replug_ms", 2.5},         {"replug_ms_max", 8.0},
                        {"fresh_plug_ms", 2.0},      {"fresh_plug_ms_max", 6.0}, {"boot_ms", 9100.0},
                        {"boot_memory_mib", 768},    {"fill_s", 81.0}});
  }
  rows[0]["vs_one"] = 1.0;
  rows[1]["vs_one"] = 4.5;
  const std::string table = format_scale_table(json{{"config", {{"instance_mib", 128}}}, {"results", rows}});
  EXPECT_NE(table.find("64 partitions of 128 MiB"), std::string::npos) << table;
  EXPECT_NE(table.find("768 MiB of boot memory"), std::string::npos) << table;
  EXPECT_NE(table.find("4.50x"), std::string::npos) << table;
  EXPECT_NE(table.find("2.5/8.0 ms"), std::string::npos) << table;
  EXPECT_EQ(format_scale_table(json{{"config", json::object()}, {"results", json::array()}}), "scale: no results\n");
}

}  // namespace
}  // namespace hotmem::bench

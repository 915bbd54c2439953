#include "bench/plug_bench.h"

#include <gtest/gtest.h>

namespace hotmem::bench {
namespace {

// Two rounds of hotmem and static: static was slow in the second round, and
// so was hotmem (a noisy stretch of the host). The paired differences see
// through it; the medians alone would not.
std::vector<ModeStarts> two_modes() {
  return {ModeStarts{"hotmem", {20, 22, 21}, {300, 400, 310}}, ModeStarts{"static", {0, 0, 0}, {280, 385, 290}}};
}

TEST(PlugRows, GiveMediansQuartilesAndEverySample) {
  const nlohmann::json rows = plug_rows(two_modes());
  ASSERT_EQ(rows.size(), 2u);
  const nlohmann::json& hotmem = rows[0];
  EXPECT_EQ(hotmem["mode"], "hotmem");
  EXPECT_EQ(hotmem["starts"], 3);
  EXPECT_DOUBLE_EQ(hotmem["start_ms"].get<double>(), 310);
  EXPECT_DOUBLE_EQ(hotmem["start_ms_p25"].get<double>(), 300);
  EXPECT_DOUBLE_EQ(hotmem["start_ms_p75"].get<double>(), 400);
  EXPECT_DOUBLE_EQ(hotmem["plug_ms"].get<double>(), 21);
  EXPECT_EQ(hotmem["start_ms_all"].size(), 3u);
}

TEST(PlugRows, OverheadIsTheMedianOfPairedDifferencesFromStatic) {
  const nlohmann::json rows = plug_rows(two_modes());
  // Differences 20, 15, 20: median 20 (the medians' difference is 310 - 290 = 20 too, by chance).
  EXPECT_DOUBLE_EQ(rows[0]["overhead_vs_static_ms"].get<double>(), 20);
  EXPECT_DOUBLE_EQ(rows[0]["overhead_vs_static_ms_p25"].get<double>(), 15);
  EXPECT_DOUBLE_EQ(rows[1]["overhead_vs_static_ms"].get<double>(), 0);
}

TEST(PlugRows, WithoutStaticThereIsNoOverhead) {
  const nlohmann::json rows = plug_rows({ModeStarts{"hotmem", {20}, {300}}});
  EXPECT_FALSE(rows[0].contains("overhead_vs_static_ms"));
}

TEST(FormatPlugTable, ShowsMedianAndQuartilesOfEachMode) {
  const nlohmann::json document{{"results", plug_rows(two_modes())}};
  const std::string table = format_plug_table(document);
  EXPECT_NE(table.find("310.0 [300, 400] ms"), std::string::npos) << table;
  EXPECT_NE(table.find("+20.0 [+15, +20] ms"), std::string::npos) << table;
}

TEST(FormatPlugTable, ReadsFilesFromBeforeTheQuartiles) {
  const nlohmann::json document{{"results",
                                 {{{"mode", "hotmem"},
                                   {"plug_ms", 19.0},
                                   {"plug_ms_all", {19.0}},
                                   {"start_ms", 293.9},
                                   {"start_ms_all", {293.9}},
                                   {"overhead_vs_static_ms", 16.9}}}}};
  const std::string table = format_plug_table(document);
  EXPECT_NE(table.find("293.9 ms"), std::string::npos) << table;
  EXPECT_NE(table.find("+16.9 ms"), std::string::npos) << table;
}

}  // namespace
}  // namespace hotmem::bench

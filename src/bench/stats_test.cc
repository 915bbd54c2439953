#include "bench/stats.h"

#include <gtest/gtest.h>

namespace hotmem::bench {
namespace {

TEST(SpreadOf, IsTheMedianAndTheQuartiles) {
  const Spread s = spread_of({9, 1, 8, 2, 7, 3, 6, 4, 5});
  EXPECT_DOUBLE_EQ(s.median, 5);
  EXPECT_DOUBLE_EQ(s.p25, 3);
  EXPECT_DOUBLE_EQ(s.p75, 7);
  const Spread none = spread_of({});
  EXPECT_DOUBLE_EQ(none.median, 0);
  EXPECT_DOUBLE_EQ(none.p75, 0);
}

TEST(PairedDifferences, AreRoundByRoundOverTheShorterList) {
  EXPECT_EQ(paired_differences({10, 20, 30}, {1, 2}), (std::vector<double>{9, 18}));
  EXPECT_TRUE(paired_differences({}, {1}).empty());
}

TEST(PutSpread, AddsTheMedianAndBothQuartilesUnderOneKey) {
  nlohmann::json row;
  put_spread(row, "x_ms", Spread{2, 1, 3});
  EXPECT_EQ(row, (nlohmann::json{{"x_ms", 2.0}, {"x_ms_p25", 1.0}, {"x_ms_p75", 3.0}}));
}

}  // namespace
}  // namespace hotmem::bench

#include "report/axis.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "common/test_helpers.h"
#include "report/number_format.h"  // format_tick, to read ticks

namespace hotmem::report {
namespace {

using test::kInf;
using test::kNaN;

void expect_sane(const Axis& axis) {
  ASSERT_FALSE(axis.ticks().empty());
  EXPECT_TRUE(std::isfinite(axis.lo()));
  EXPECT_TRUE(std::isfinite(axis.hi()));
  EXPECT_LT(axis.lo(), axis.hi());
  EXPECT_EQ(axis.ticks().front(), axis.lo());
  EXPECT_EQ(axis.ticks().back(), axis.hi());
  for (std::size_t i = 1; i < axis.ticks().size(); ++i) EXPECT_LT(axis.ticks()[i - 1], axis.ticks()[i]);
  EXPECT_LE(axis.ticks().size(), 16u);
}

TEST(NiceLinearTicks, UseRoundStepsThatCoverTheRange) {
  EXPECT_EQ(nice_linear_ticks(0, 95, 6), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(nice_linear_ticks(3, 9, 4), (std::vector<double>{2, 4, 6, 8, 10}));
  const auto ticks = nice_linear_ticks(-7, 23, 6);
  EXPECT_LE(ticks.front(), -7);
  EXPECT_GE(ticks.back(), 23);
}

TEST(NiceLinearTicks, SmallStepsCarryNoFloatNoise) {
  const auto ticks = nice_linear_ticks(0, 0.5, 6);
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_EQ(format_tick(ticks[3]), "0.3");
  EXPECT_EQ(format_tick(nice_linear_ticks(0, 2.3, 6)[1]), "0.5");
}

TEST(Axis, LinearCanIncludeZero) {
  const Axis axis = Axis::covering({120, 900, 450}, ScaleKind::kLinear, true);
  expect_sane(axis);
  EXPECT_EQ(axis.lo(), 0);
  EXPECT_GE(axis.hi(), 900);
  EXPECT_EQ(axis.fraction(0), 0);
  EXPECT_EQ(axis.fraction(axis.hi()), 1);
}

TEST(Axis, OneValueGetsARangeAroundIt) {
  const Axis axis = Axis::covering({90}, ScaleKind::kLinear);
  expect_sane(axis);
  EXPECT_LT(axis.lo(), 90);
  EXPECT_GT(axis.hi(), 90);
  EXPECT_GT(axis.fraction(90), 0.1);
  EXPECT_LT(axis.fraction(90), 0.9);
}

TEST(Axis, EmptyAllZeroAndNonFiniteInputsStillGiveAnAxis) {
  expect_sane(Axis::covering({}, ScaleKind::kLinear));
  expect_sane(Axis::covering({0, 0, 0}, ScaleKind::kLinear, true));
  expect_sane(Axis::covering({0, 0}, ScaleKind::kLinear));
  const Axis axis = Axis::covering({kNaN, kInf, -kInf, 5}, ScaleKind::kLinear, true);
  expect_sane(axis);
  EXPECT_GE(axis.hi(), 5);
  EXPECT_FALSE(axis.shows(kNaN));
  EXPECT_FALSE(axis.shows(kInf));
}

TEST(Axis, Log2TicksArePowersOfTwo) {
  const Axis axis = Axis::covering({512, 1024, 4096}, ScaleKind::kLog2);
  expect_sane(axis);
  EXPECT_EQ(axis.kind(), ScaleKind::kLog2);
  EXPECT_EQ(axis.ticks(), (std::vector<double>{512, 1024, 2048, 4096}));
  EXPECT_DOUBLE_EQ(axis.fraction(2048), 2.0 / 3);
}

TEST(Axis, Log10OverOneDecadeAddsTwoAndFive) {
  const Axis axis = Axis::covering({20, 80}, ScaleKind::kLog10);
  expect_sane(axis);
  EXPECT_EQ(axis.ticks(), (std::vector<double>{10, 20, 50, 100}));
}

TEST(Axis, LogScaleIgnoresNonPositiveValuesAndFallsBackToLinear) {
  const Axis some = Axis::covering({0, -3, 100, 1000}, ScaleKind::kLog10);
  expect_sane(some);
  EXPECT_EQ(some.kind(), ScaleKind::kLog10);
  EXPECT_FALSE(some.shows(0));
  EXPECT_FALSE(some.shows(-3));
  EXPECT_TRUE(some.shows(100));

  const Axis none = Axis::covering({0, 0, kNaN}, ScaleKind::kLog10);
  expect_sane(none);
  EXPECT_EQ(none.kind(), ScaleKind::kLinear);
  EXPECT_TRUE(none.shows(0));
}

TEST(Axis, LogScaleWithOneValueCentresIt) {
  const Axis axis = Axis::covering({256}, ScaleKind::kLog2);
  expect_sane(axis);
  EXPECT_DOUBLE_EQ(axis.fraction(256), 0.5);
}

TEST(Axis, WideAndExtremeRangesStayBounded) {
  expect_sane(Axis::covering({1e-6, 1e12}, ScaleKind::kLog10));
  expect_sane(Axis::covering({1, 1e300}, ScaleKind::kLog2));
  expect_sane(Axis::covering({4.9e-324, 1.7e308}, ScaleKind::kLog10));
  const Axis huge = Axis::covering({-1.7e308, 1.7e308}, ScaleKind::kLinear);
  EXPECT_TRUE(std::isfinite(huge.fraction(0)));
  EXPECT_GE(huge.fraction(0), 0);
  EXPECT_LE(huge.fraction(0), 1);
}

}  // namespace
}  // namespace hotmem::report

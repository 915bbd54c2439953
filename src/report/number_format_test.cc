#include "report/number_format.h"

#include <limits>

#include <gtest/gtest.h>

#include "common/test_helpers.h"

namespace hotmem::report {
namespace {

using test::kInf;
using test::kNaN;

TEST(NumberFormat, ReadsWell) {
  EXPECT_EQ(format_number(4096), "4096");
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(format_number(119.04), "119");
  EXPECT_EQ(format_number(94.94), "94.9");
  EXPECT_EQ(format_number(1.234), "1.23");
  EXPECT_EQ(format_number(0.0123), "0.0123");
  EXPECT_EQ(format_number(-2.5), "-2.5");
  EXPECT_EQ(format_number(2.2), "2.2");
  EXPECT_EQ(format_number(12.04), "12");
  EXPECT_EQ(format_number(kNaN), "n/a");
  EXPECT_EQ(format_number(kInf), "n/a");
  EXPECT_EQ(format_tick(131072), "131072");
  EXPECT_EQ(format_tick(-0.0), "0");
  EXPECT_EQ(format_tick(2.5), "2.5");
  EXPECT_EQ(format_tick(1e9), "1e+09");
}

}  // namespace
}  // namespace hotmem::report

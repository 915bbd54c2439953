#include "common/size.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace hotmem {
namespace {

constexpr std::uint64_t kTiB = 1024 * kGiB;

std::uint64_t parsed(std::string_view text) {
  auto r = parse_size(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : 0;
}

TEST(ParseSize, BareNumberIsMebibytes) {
  EXPECT_EQ(parsed("512"), 512 * kMiB);
  EXPECT_EQ(parsed("1"), kMiB);
  EXPECT_EQ(parsed("0"), 0u);
}

TEST(ParseSize, BinaryUnitsWithOptionalBOrIB) {
  EXPECT_EQ(parsed("1K"), kKiB);
  EXPECT_EQ(parsed("1KB"), kKiB);
  EXPECT_EQ(parsed("1KiB"), kKiB);
  EXPECT_EQ(parsed("512M"), 512 * kMiB);
  EXPECT_EQ(parsed("512MB"), 512 * kMiB);
  EXPECT_EQ(parsed("1536MiB"), 1536 * kMiB);
  EXPECT_EQ(parsed("2G"), 2 * kGiB);
  EXPECT_EQ(parsed("2GB"), 2 * kGiB);
  EXPECT_EQ(parsed("2GiB"), 2 * kGiB);
  EXPECT_EQ(parsed("1T"), kTiB);
  EXPECT_EQ(parsed("1TB"), kTiB);
  EXPECT_EQ(parsed("3TiB"), 3 * kTiB);
}

TEST(ParseSize, UnitsAreCaseInsensitive) {
  EXPECT_EQ(parsed("4k"), 4 * kKiB);
  EXPECT_EQ(parsed("4kib"), 4 * kKiB);
  EXPECT_EQ(parsed("4m"), 4 * kMiB);
  EXPECT_EQ(parsed("4mIb"), 4 * kMiB);
  EXPECT_EQ(parsed("4g"), 4 * kGiB);
  EXPECT_EQ(parsed("4GIB"), 4 * kGiB);
  EXPECT_EQ(parsed("4gb"), 4 * kGiB);
  EXPECT_EQ(parsed("4t"), 4 * kTiB);
}

TEST(ParseSize, PlainBMeansBytes) {
  EXPECT_EQ(parsed("17B"), 17u);
  EXPECT_EQ(parsed("17b"), 17u);
}

TEST(ParseSize, RejectsMalformedText) {
  for (const char* text : {"", "banana", "-1", "1.5G", "12X", "G", "MiB", " 512", "512 ", "512 M", "+5",
                           "1iB", "1GiBB", "1Gi", "0x10", "5e3", "1,024"}) {
    auto r = parse_size(text);
    EXPECT_FALSE(r.ok()) << "accepted '" << text << "' as " << (r.ok() ? *r : 0);
  }
}

TEST(ParseSize, ErrorNamesTheTextAndTheProblem) {
  auto unknown = parse_size("12X");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("'12X'"), std::string::npos) << unknown.error().message();
  EXPECT_NE(unknown.error().message().find("unknown unit"), std::string::npos) << unknown.error().message();

  auto empty = parse_size("");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("empty"), std::string::npos) << empty.error().message();
}

TEST(ParseSize, RejectsNumbersThatOverflowWhileReading) {
  auto r = parse_size("99999999999999999999");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("too large"), std::string::npos) << r.error().message();
  EXPECT_FALSE(parse_size("18446744073709551616B").ok());  // UINT64_MAX + 1
}

TEST(ParseSize, RejectsNumbersThatOverflowWhenScaled) {
  auto r = parse_size("18446744073709551615T");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("too large"), std::string::npos) << r.error().message();
  // The largest whole number of GiB that fits, and one more.
  const std::uint64_t max_gib = std::numeric_limits<std::uint64_t>::max() / kGiB;
  EXPECT_EQ(parsed(std::to_string(max_gib) + "G"), max_gib * kGiB);
  EXPECT_FALSE(parse_size(std::to_string(max_gib + 1) + "G").ok());
  // A bare number is MiB, so it overflows sooner than bytes do.
  const std::uint64_t max_mib = std::numeric_limits<std::uint64_t>::max() / kMiB;
  EXPECT_EQ(parsed(std::to_string(max_mib)), max_mib * kMiB);
  EXPECT_FALSE(parse_size(std::to_string(max_mib + 1)).ok());
}

TEST(ParseSize, LargestByteCountIsAccepted) {
  EXPECT_EQ(parsed("18446744073709551615B"), std::numeric_limits<std::uint64_t>::max());
}

TEST(FormatSize, WholeUnitsPrintWithoutFraction) {
  EXPECT_EQ(format_size(0), "0 B");
  EXPECT_EQ(format_size(17), "17 B");
  EXPECT_EQ(format_size(1023), "1023 B");
  EXPECT_EQ(format_size(kKiB), "1 KiB");
  EXPECT_EQ(format_size(300 * kKiB), "300 KiB");
  EXPECT_EQ(format_size(512 * kMiB), "512 MiB");
  EXPECT_EQ(format_size(2 * kGiB), "2 GiB");
  EXPECT_EQ(format_size(kTiB), "1 TiB");
}

TEST(FormatSize, PicksTheLargestUnitAndOneDecimal) {
  EXPECT_EQ(format_size(kGiB + kGiB / 2), "1.5 GiB");
  EXPECT_EQ(format_size(1536 * kKiB), "1.5 MiB");
  EXPECT_EQ(format_size(1025 * kMiB), "1.0 GiB");  // not a whole GiB, rounded for display
  EXPECT_EQ(format_size(1024 * kMiB), "1 GiB");
  EXPECT_EQ(format_size(1536), "1.5 KiB");
}

TEST(FormatSize, AgreesWithParseSizeOnUnits) {
  for (const char* text : {"128M", "2G", "64K", "1T"}) {
    const std::uint64_t bytes = parsed(text);
    std::string expected = text;
    expected.insert(expected.size() - 1, " ");
    expected += "iB";
    EXPECT_EQ(format_size(bytes), expected);
  }
}

TEST(ToMib, ConvertsBytesToMebibytes) {
  EXPECT_DOUBLE_EQ(to_mib(512 * kMiB), 512.0);
  EXPECT_DOUBLE_EQ(to_mib(kMiB / 2), 0.5);
}

}  // namespace
}  // namespace hotmem

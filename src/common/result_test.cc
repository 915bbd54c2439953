#include "common/result.h"

#include <gtest/gtest.h>

namespace hotmem {
namespace {

Result<int> parse_port(int n) {
  if (n < 1 || n > 65535) return Error(ErrorCode::kInvalidArgument, "port out of range");
  return n;
}

TEST(Error, AnErrorWithoutAKindIsInternal) {
  const Error e("boom");
  EXPECT_EQ(e.code(), ErrorCode::kInternal);
  EXPECT_EQ(e.message(), "boom");
  EXPECT_TRUE(e.reason().empty());
}

TEST(Error, ContextKeepsTheKindAndTheReason) {
  const Error e = Error(ErrorCode::kNotFound, "no instance 'i1'").with_reason("unknown instance").context("stop");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.message(), "stop: no instance 'i1'");
  EXPECT_EQ(e.reason(), "unknown instance");
}

TEST(Error, WithCodeChangesOnlyTheKind) {
  const Error e = Error("field 'pid' is missing").with_code(ErrorCode::kGuestMisbehaved);
  EXPECT_EQ(e.code(), ErrorCode::kGuestMisbehaved);
  EXPECT_EQ(e.message(), "field 'pid' is missing");
}

TEST(Error, ResultsCarryTheKindToTheCaller) {
  EXPECT_TRUE(parse_port(80));
  auto bad = parse_port(0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Error, EveryKindHasAStableName) {
  EXPECT_EQ(error_code_name(ErrorCode::kInternal), "internal");
  EXPECT_EQ(error_code_name(ErrorCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(error_code_name(ErrorCode::kNotFound), "not_found");
  EXPECT_EQ(error_code_name(ErrorCode::kConflict), "conflict");
  EXPECT_EQ(error_code_name(ErrorCode::kUnavailable), "unavailable");
  EXPECT_EQ(error_code_name(ErrorCode::kResourceExhausted), "resource_exhausted");
  EXPECT_EQ(error_code_name(ErrorCode::kGuestMisbehaved), "guest_misbehaved");
  EXPECT_EQ(error_code_name(ErrorCode::kUnauthenticated), "unauthenticated");
}

}  // namespace
}  // namespace hotmem

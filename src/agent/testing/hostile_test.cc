#include "agent/testing/hostile.h"

#include <gtest/gtest.h>

#include "protocol/guest_reports.h"

namespace hotmem::agent {
namespace {

TEST(Hostility, ComesOnlyFromItsOwnKernelParameter) {
  EXPECT_EQ(hostility_from_cmdline("console=ttyS0 quiet\n"), Hostility::kNone);
  EXPECT_EQ(hostility_from_cmdline("console=ttyS0 hotmem.hostile=garbage quiet"), Hostility::kGarbage);
  EXPECT_EQ(hostility_from_cmdline("hotmem.hostile=flood"), Hostility::kFlood);
  EXPECT_EQ(hostility_from_cmdline("a hotmem.hostile=silent\n"), Hostility::kSilent);
  EXPECT_EQ(hostility_from_cmdline("hotmem.hostile=lie"), Hostility::kLie);
  EXPECT_EQ(hostility_from_cmdline("hotmem.hostile=die"), Hostility::kDie);
  EXPECT_EQ(hostility_from_cmdline("hotmem.hostile=dies"), Hostility::kNone);
  EXPECT_EQ(hostility_from_cmdline("hotmem.hostile="), Hostility::kNone);
  EXPECT_EQ(hostility_from_cmdline("xhotmem.hostile=die"), Hostility::kNone);
  EXPECT_EQ(hostility_from_cmdline("hotmem.hostile=on-request"), Hostility::kOnRequest);
}

TEST(Hostility, OnRequestAnInvocationAsksForItInItsParameters) {
  EXPECT_EQ(hostility_requested(R"({"value": {"hotmem_hostile": "silent", "mib": 8}})"), Hostility::kSilent);
  EXPECT_EQ(hostility_requested(R"({"value": {"hotmem_hostile": "die"}})"), Hostility::kDie);
  EXPECT_EQ(hostility_requested(R"({"value": {"mib": 8}})"), Hostility::kNone);
  EXPECT_EQ(hostility_requested(R"({"value": {"hotmem_hostile": "on-request"}})"), Hostility::kNone);
  EXPECT_EQ(hostility_requested(R"({"value": {"hotmem_hostile": 1}})"), Hostility::kNone);
  EXPECT_EQ(hostility_requested(R"({"hotmem_hostile": "silent"})"), Hostility::kNone);
  EXPECT_EQ(hostility_requested("not json"), Hostility::kNone);
}

TEST(Hostility, TheLyingReportIsWellFormedButItsCounterRunsBackwards) {
  auto first = protocol::MemoryReportTexts::decode(lying_memory_report().encode());
  auto second = protocol::MemoryReportTexts::decode(lying_memory_report().encode());
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_GT(first->node_total_bytes(1), std::uint64_t{1} << 50);
  auto migrated = protocol::migrated_pages_between(*first, *second);
  ASSERT_FALSE(migrated);
  EXPECT_NE(migrated.error().message().find("ran backwards"), std::string::npos) << migrated.error().message();
}

}  // namespace
}  // namespace hotmem::agent

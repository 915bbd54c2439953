#include "agent/guest_system.h"

#include <gtest/gtest.h>

namespace hotmem::agent {
namespace {

TEST(CmdlineValue, FindsOnlyItsOwnWord) {
  EXPECT_EQ(cmdline_value("hotmem.thp=always quiet", "hotmem.thp"), "always");
  EXPECT_EQ(cmdline_value("console=ttyS0 hotmem.thp=never\n", "hotmem.thp"), "never");
  EXPECT_EQ(cmdline_value("a hotmem.thp= b", "hotmem.thp"), "");
  EXPECT_FALSE(cmdline_value("console=ttyS0 quiet\n", "hotmem.thp"));
  EXPECT_FALSE(cmdline_value("xhotmem.thp=always", "hotmem.thp"));
  EXPECT_FALSE(cmdline_value("hotmem.thpx=always", "hotmem.thp"));
  EXPECT_FALSE(cmdline_value("hotmem.thp", "hotmem.thp"));
  EXPECT_FALSE(cmdline_value("", "hotmem.thp"));
}

TEST(TransparentHugepages, OnlyTheKernelsModesAreWritten) {
  // Nothing valid is tried here: it would change the host's own setting.
  for (const char* bad : {"", "Always", "always never", "../x", "defer"}) {
    auto s = set_transparent_hugepages(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().message().find("no transparent hugepage mode"), std::string::npos) << s.error().message();
  }
}

}  // namespace
}  // namespace hotmem::agent

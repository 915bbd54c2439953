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

// Trimmed from a guest's /proc/zoneinfo: node 0's Normal zone, node 1's Movable.
constexpr const char* kZoneinfo = R"(Node 0, zone   Normal
  pages free     55130
        min      1180
  pagesets
    cpu: 0
              count:    61
              high:     378
    cpu: 1
              count:    2
              high:     378
  node_unreclaimable:  0
Node 1, zone  Movable
  pages free     64500
  pagesets
    cpu: 0
              count:    1024
              high:     1536
              batch:    63
    cpu: 1
              count:    512
Node 10, zone  Movable
  pagesets
    cpu: 0
              count:    7
)";

TEST(PerCpuFreePages, SumsTheCountsOfOneNodesZones) {
  EXPECT_EQ(per_cpu_free_pages(kZoneinfo, 0), 63u);
  EXPECT_EQ(per_cpu_free_pages(kZoneinfo, 1), 1536u);
  EXPECT_EQ(per_cpu_free_pages(kZoneinfo, 10), 7u);
  EXPECT_EQ(per_cpu_free_pages(kZoneinfo, 2), 0u);
  EXPECT_EQ(per_cpu_free_pages("", 1), 0u);
  EXPECT_EQ(per_cpu_free_pages("Node 1, zone Movable\n count: x\ncount:\n", 1), 0u);
}

TEST(TransparentHugepages, OnlyTheKernelsModesAreWritten) {
  // Nothing valid is tried here: it would change the host's own setting.
  for (const char* bad : {"", "Always", "always never", "../x", "defer"}) {
    auto s = set_transparent_hugepages(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().message().find("no transparent hugepage mode"), std::string::npos) << s.error().message();
  }
}

TEST(NodeListContains, ReadsSinglesAndRangesAsCpusetFilesShowThem) {
  EXPECT_TRUE(node_list_contains("0\n", 0));
  EXPECT_FALSE(node_list_contains("0\n", 1));
  EXPECT_TRUE(node_list_contains("0-2,4\n", 1));
  EXPECT_TRUE(node_list_contains("0-2,4\n", 4));
  EXPECT_FALSE(node_list_contains("0-2,4\n", 3));
  EXPECT_TRUE(node_list_contains("0,12-14", 13));
  EXPECT_FALSE(node_list_contains("", 0));
  EXPECT_FALSE(node_list_contains("\n", 0));
  EXPECT_FALSE(node_list_contains("x,1-y", 1));
}

TEST(NumaMapsNodeBytes, SumsOneNodesPagesInEachMappingsPageSize) {
  const std::string numa_maps =
      "55d0c0a00000 default file=/usr/bin/python3 mapped=600 N0=600 kernelpagesize_kB=4\n"
      "7f2a40000000 bind:3 anon=12288 dirty=12288 N3=12000 N0=288 kernelpagesize_kB=4\n"
      "7f2a80000000 bind:3 file=/tmp/touch.dat dirty=4096 N3=4096 kernelpagesize_kB=4\n"
      "7f2b00000000 bind:3 huge anon=2 dirty=2 N3=2 kernelpagesize_kB=2048\n"
      "7f2c00000000 bind:3 anon=1 N3=1\n"
      "7f2d00000000 default N13=5 kernelpagesize_kB=4\n";
  EXPECT_EQ(numa_maps_node_bytes(numa_maps, 3), (12000u + 4096u + 1u) * 4096u + 2u * 2048u * 1024u);
  EXPECT_EQ(numa_maps_node_bytes(numa_maps, 0), 888u * 4096u);
  EXPECT_EQ(numa_maps_node_bytes(numa_maps, 13), 5u * 4096u);
  EXPECT_EQ(numa_maps_node_bytes(numa_maps, 1), 0u);
  EXPECT_EQ(numa_maps_node_bytes("", 3), 0u);
  EXPECT_EQ(numa_maps_node_bytes("garbage N3=x N3= kernelpagesize_kB=\n", 3), 0u);
}

}  // namespace
}  // namespace hotmem::agent

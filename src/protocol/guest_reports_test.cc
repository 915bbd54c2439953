#include "protocol/guest_reports.h"

#include <limits>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/size.h"
#include "common/test_helpers.h"

namespace hotmem::protocol {
namespace {

using test::contains;

// /sys/devices/system/node/node1/meminfo as Linux 6.1 prints it for a
// 1 GiB partition node with a small instance on it.
constexpr const char* kNode1Meminfo =
    "Node 1 MemTotal:        1048576 kB\n"
    "Node 1 MemFree:          983040 kB\n"
    "Node 1 MemUsed:           65536 kB\n"
    "Node 1 SwapCached:            0 kB\n"
    "Node 1 Active:            12288 kB\n"
    "Node 1 Inactive:          40960 kB\n"
    "Node 1 Active(anon):      12288 kB\n"
    "Node 1 Inactive(anon):    40960 kB\n"
    "Node 1 Active(file):          0 kB\n"
    "Node 1 Inactive(file):        0 kB\n"
    "Node 1 Unevictable:           0 kB\n"
    "Node 1 Mlocked:               0 kB\n"
    "Node 1 Dirty:                 0 kB\n"
    "Node 1 Writeback:             0 kB\n"
    "Node 1 FilePages:             0 kB\n"
    "Node 1 Mapped:                0 kB\n"
    "Node 1 AnonPages:         53248 kB\n"
    "Node 1 Shmem:                 0 kB\n"
    "Node 1 KernelStack:           0 kB\n"
    "Node 1 PageTables:            0 kB\n"
    "Node 1 SecPageTables:         0 kB\n"
    "Node 1 NFS_Unstable:          0 kB\n"
    "Node 1 Bounce:                0 kB\n"
    "Node 1 WritebackTmp:          0 kB\n"
    "Node 1 KReclaimable:          0 kB\n"
    "Node 1 Slab:                  0 kB\n"
    "Node 1 SReclaimable:          0 kB\n"
    "Node 1 SUnreclaim:            0 kB\n"
    "Node 1 AnonHugePages:     10240 kB\n"
    "Node 1 ShmemHugePages:        0 kB\n"
    "Node 1 ShmemPmdMapped:        0 kB\n"
    "Node 1 FileHugePages:         0 kB\n"
    "Node 1 FilePmdMapped:         0 kB\n"
    "Node 1 HugePages_Total:     4\n"
    "Node 1 HugePages_Free:      3\n"
    "Node 1 HugePages_Surp:      0\n";

std::string meminfo(int node, std::uint64_t total_kb, std::uint64_t free_kb) {
  return fmt::format("Node {} MemTotal: {} kB\nNode {} MemFree: {} kB\nNode {} MemUsed: {} kB\n", node,
                     total_kb, node, free_kb, node, total_kb - free_kb);
}

constexpr const char* kVmstat =
    "nr_free_pages 245760\n"
    "nr_zone_inactive_anon 10240\n"
    "nr_zone_active_anon 3072\n"
    "numa_hit 123456\n"
    "numa_miss 0\n"
    "pgmigrate_success 4096\n"
    "pgmigrate_fail 2\n"
    "compact_migrate_scanned 0\n"
    "thp_fault_alloc 5\n";

// ---- parse_node_meminfo ----------------------------------------------------

TEST(ParseNodeMeminfo, ParsesLinux61TextIntoBytes) {
  auto info = parse_node_meminfo(kNode1Meminfo, 1);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->node, 1);
  EXPECT_EQ(info->fields.size(), 36u);
  EXPECT_EQ(info->total_bytes(), kGiB);
  EXPECT_EQ(info->free_bytes(), 983040 * kKiB);
  EXPECT_EQ(info->used_bytes(), 64 * kMiB);
  EXPECT_EQ(info->get("AnonPages"), 53248 * kKiB);
  EXPECT_EQ(info->get("Active(anon)"), 12288 * kKiB);
  EXPECT_EQ(info->get("AnonHugePages"), 10 * kMiB);
}

TEST(ParseNodeMeminfo, CountsWithoutUnitStayAsTheyAre) {
  auto info = parse_node_meminfo(kNode1Meminfo, 1);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->get("HugePages_Total"), 4u);
  EXPECT_EQ(info->get("HugePages_Free"), 3u);
}

TEST(ParseNodeMeminfo, MissingKeyReadsAsZero) {
  auto info = parse_node_meminfo(kNode1Meminfo, 1);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->get("NoSuchKey"), 0u);
}

TEST(ParseNodeMeminfo, SkipsBlankLinesAndAcceptsTabs) {
  auto info = parse_node_meminfo("\n  \nNode 0\tMemTotal:\t2048 kB\n\n\tNode 0 MemFree: 1024 kB", 0);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->total_bytes(), 2 * kMiB);
  EXPECT_EQ(info->free_bytes(), kMiB);
}

TEST(ParseNodeMeminfo, RejectsTextOfAnotherNode) {
  auto info = parse_node_meminfo(kNode1Meminfo, 2);
  ASSERT_FALSE(info.ok());
  const std::string& m = info.error().message();
  EXPECT_TRUE(contains(m, "names node 1, expected node 2")) << m;
  EXPECT_TRUE(contains(m, "line 1")) << m;
  EXPECT_TRUE(contains(m, "node 2 meminfo")) << m;
}

TEST(ParseNodeMeminfo, RejectsALaterLineOfAnotherNode) {
  auto info = parse_node_meminfo("Node 1 MemTotal: 2048 kB\nNode 3 MemFree: 1024 kB\n", 1);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "line 2")) << info.error().message();
}

class GarbageMeminfoLine : public testing::TestWithParam<const char*> {};

TEST_P(GarbageMeminfoLine, IsRejectedWithItsLineNumber) {
  const std::string text = std::string("Node 1 MemTotal: 2048 kB\nNode 1 MemFree: 1024 kB\n") + GetParam() + "\n";
  auto info = parse_node_meminfo(text, 1);
  ASSERT_FALSE(info.ok()) << "accepted '" << GetParam() << "'";
  EXPECT_TRUE(contains(info.error().message(), "line 3")) << info.error().message();
}

INSTANTIATE_TEST_SUITE_P(GuestReports, GarbageMeminfoLine,
                         testing::Values("hello world",                    // not a meminfo line
                                         "Node 1 MemUsed 1024 kB",         // no ':'
                                         "Node 1 MemUsed:",                // no value
                                         "Node x MemUsed: 1024 kB",        // node not a number
                                         "Node -1 MemUsed: 1024 kB",       // negative node
                                         "Zone 1 MemUsed: 1024 kB",        // wrong first word
                                         "Node 1 MemUsed: abc kB",         // value not a number
                                         "Node 1 MemUsed: -5 kB",          // negative value
                                         "Node 1 MemUsed: 1.5 kB",         // fraction
                                         "Node 1 MemUsed: 1024 MB",        // unknown unit
                                         "Node 1 MemUsed: 1024 kB extra",  // too many words
                                         "Node 1 Mem$Used: 1024 kB",       // bad key characters
                                         "Node 1 : 1024 kB",               // empty key
                                         "Node 1 MemUsed: 99999999999999999999"));  // not a u64

TEST(ParseNodeMeminfo, RejectsARepeatedKey) {
  auto info = parse_node_meminfo("Node 1 MemTotal: 2048 kB\nNode 1 MemFree: 1024 kB\nNode 1 MemTotal: 4096 kB\n", 1);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "'MemTotal' repeated")) << info.error().message();
}

TEST(ParseNodeMeminfo, RejectsFreeAboveTotal) {
  auto info = parse_node_meminfo("Node 1 MemTotal: 1024 kB\nNode 1 MemFree: 1025 kB\n", 1);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "MemFree exceeds MemTotal")) << info.error().message();
  EXPECT_TRUE(parse_node_meminfo("Node 1 MemTotal: 1024 kB\nNode 1 MemFree: 1024 kB\n", 1).ok());
}

TEST(ParseNodeMeminfo, RequiresMemTotalAndMemFree) {
  auto no_total = parse_node_meminfo("Node 1 MemFree: 1024 kB\nNode 1 MemUsed: 0 kB\n", 1);
  ASSERT_FALSE(no_total.ok());
  EXPECT_TRUE(contains(no_total.error().message(), "lacks MemTotal")) << no_total.error().message();
  EXPECT_FALSE(parse_node_meminfo("Node 1 MemTotal: 1024 kB\n", 1).ok());
  EXPECT_FALSE(parse_node_meminfo("", 1).ok());
}

TEST(ParseNodeMeminfo, AcceptsUpToTheLineLimit) {
  std::string text = "Node 1 MemTotal: 4096 kB\nNode 1 MemFree: 1024 kB\n";
  for (std::size_t i = 2; i < kMaxReportLines; ++i) text += fmt::format("Node 1 Extra{}: {}\n", i, i);
  auto info = parse_node_meminfo(text, 1);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->fields.size(), kMaxReportLines);
}

TEST(ParseNodeMeminfo, RejectsMoreLinesThanTheLimit) {
  std::string text = "Node 1 MemTotal: 4096 kB\nNode 1 MemFree: 1024 kB\n";
  for (std::size_t i = 2; i <= kMaxReportLines; ++i) text += fmt::format("Node 1 Extra{}: {}\n", i, i);
  auto info = parse_node_meminfo(text, 1);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), fmt::format("more than {} lines", kMaxReportLines)))
      << info.error().message();
}

TEST(ParseNodeMeminfo, BlankLinesCountTowardsTheLineLimit) {
  std::string text(kMaxReportLines, '\n');
  text += "Node 1 MemTotal: 4096 kB\nNode 1 MemFree: 1024 kB\n";
  EXPECT_FALSE(parse_node_meminfo(text, 1).ok());
}

TEST(ParseNodeMeminfo, RejectsKilobytesThatOverflowInBytes) {
  const std::uint64_t max_kb = UINT64_MAX / 1024;
  auto fits = parse_node_meminfo(fmt::format("Node 0 MemTotal: {} kB\nNode 0 MemFree: 0 kB\n", max_kb), 0);
  ASSERT_TRUE(fits.ok()) << fits.error().message();
  EXPECT_EQ(fits->total_bytes(), max_kb * 1024);

  auto overflows =
      parse_node_meminfo(fmt::format("Node 0 MemTotal: {} kB\nNode 0 MemFree: 0 kB\n", max_kb + 1), 0);
  ASSERT_FALSE(overflows.ok());
  EXPECT_TRUE(contains(overflows.error().message(), "too large")) << overflows.error().message();
}

TEST(ParseNodeMeminfo, LargeCountsWithoutUnitDoNotOverflow) {
  auto info = parse_node_meminfo(
      "Node 0 MemTotal: 1024 kB\nNode 0 MemFree: 0 kB\nNode 0 HugePages_Total: 18446744073709551615\n", 0);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->get("HugePages_Total"), UINT64_MAX);
}

// ---- parse_vmstat ----------------------------------------------------------

TEST(ParseVmstat, ParsesCounters) {
  auto vmstat = parse_vmstat(kVmstat);
  ASSERT_TRUE(vmstat.ok()) << vmstat.error().message();
  EXPECT_EQ(vmstat->size(), 9u);
  EXPECT_EQ(vmstat->at("nr_free_pages"), 245760u);
  EXPECT_EQ(vmstat->at("pgmigrate_success"), 4096u);
  EXPECT_EQ(vmstat->at("numa_miss"), 0u);
}

TEST(ParseVmstat, EmptyTextIsNoCounters) {
  auto vmstat = parse_vmstat("");
  ASSERT_TRUE(vmstat.ok()) << vmstat.error().message();
  EXPECT_TRUE(vmstat->empty());
}

TEST(ParseVmstat, RejectsMalformedLines) {
  for (const char* line : {"nr_free_pages", "nr_free_pages 1 2", "nr-free-pages 1", "nr_free_pages -1",
                           "nr_free_pages x", "nr_free_pages 1.0", "nr_free_pages 99999999999999999999"}) {
    auto vmstat = parse_vmstat(std::string("numa_hit 1\n") + line + "\n");
    ASSERT_FALSE(vmstat.ok()) << "accepted '" << line << "'";
    EXPECT_TRUE(contains(vmstat.error().message(), "vmstat")) << vmstat.error().message();
    EXPECT_TRUE(contains(vmstat.error().message(), "line 2")) << vmstat.error().message();
  }
}

TEST(ParseVmstat, RejectsARepeatedKey) {
  auto vmstat = parse_vmstat("numa_hit 1\nnuma_hit 2\n");
  ASSERT_FALSE(vmstat.ok());
  EXPECT_TRUE(contains(vmstat.error().message(), "'numa_hit' repeated")) << vmstat.error().message();
}

TEST(ParseVmstat, RejectsMoreLinesThanTheLimit) {
  std::string text;
  for (std::size_t i = 0; i <= kMaxReportLines; ++i) text += fmt::format("counter_{} {}\n", i, i);
  EXPECT_FALSE(parse_vmstat(text).ok());
}

// ---- parse_proc_stat -------------------------------------------------------

// /proc/stat of a two-vCPU guest (Linux 6.1), abridged "intr" and "softirq".
constexpr const char* kProcStat =
    "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0\n"
    "cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0\n"
    "cpu1 1335001 28612 476217 8745040 2653 0 3140 7 0 0\n"
    "intr 199292 9 10 0 0 0 0 0 0 1 0 0 0 0 0 0 0\n"
    "ctxt 4433\n"
    "btime 1700000000\n"
    "processes 100\n"
    "procs_running 1\n"
    "procs_blocked 0\n"
    "softirq 1052 0 342 0 12 0 0 9 421 0 268\n";

TEST(ParseProcStat, SumsBusyTicksOfEveryCpu) {
  auto cpu = parse_proc_stat(kProcStat);
  ASSERT_TRUE(cpu.ok()) << cpu.error().message();
  // user + nice + system + irq + softirq + steal; idle and iowait are not busy.
  EXPECT_EQ(cpu->busy_ticks, 10132153u + 290696 + 3084719 + 0 + 25195 + 0);
  EXPECT_EQ(cpu->busy_per_cpu, (std::vector<std::uint64_t>{1393280u + 32966 + 572056 + 17875,
                                                           1335001u + 28612 + 476217 + 3140 + 7}));
}

TEST(ParseProcStat, AcceptsOldKernelsWithoutGuestColumns) {
  auto cpu = parse_proc_stat("cpu 1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n");
  ASSERT_TRUE(cpu.ok()) << cpu.error().message();
  EXPECT_EQ(cpu->busy_ticks, 1u + 2 + 3 + 6 + 7 + 8);
}

TEST(ParseProcStat, RequiresTheTotalLine) {
  auto cpu = parse_proc_stat("cpu0 1 2 3 4 5 6 7 8 0 0\nctxt 5\n");
  ASSERT_FALSE(cpu.ok());
  EXPECT_TRUE(contains(cpu.error().message(), "lacks the 'cpu' line")) << cpu.error().message();
}

TEST(ParseProcStat, RejectsMalformedCpuLines) {
  for (const char* text : {"cpu 1 2 3\n",                                    // too few counters
                           "cpu 1 2 3 4 5 6 7 8 9 10 11\n",                  // too many
                           "cpu 1 2 3 4 x 6 7 8 0 0\n",                      // not a number
                           "cpu 1 2 3 4 -5 6 7 8 0 0\n",                     // negative
                           "cpu 1 2 3 4 5 6 7 8 0 0\ncpu 1 2 3 4 5 6 7 8 0 0\n",  // repeated
                           "cpu 1 2 3 4 5 6 7 8 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\n",  // cpu0 missing
                           "cpu 1 2 3 4 5 6 7 8 0 0\ncpux 1 2 3 4 5 6 7 8 0 0\n"}) {
    auto cpu = parse_proc_stat(text);
    ASSERT_FALSE(cpu.ok()) << "accepted " << text;
    EXPECT_TRUE(contains(cpu.error().message(), "/proc/stat")) << cpu.error().message();
  }
}

TEST(ParseProcStat, RejectsCountersWhoseSumOverflows) {
  auto cpu = parse_proc_stat("cpu 18446744073709551615 1 0 0 0 0 0 0 0 0\n");
  EXPECT_FALSE(cpu.ok()) << "busy ticks wrapped around to " << cpu->busy_ticks;
}

// ---- parse_memory_report ---------------------------------------------------

nlohmann::json report_body() {
  return {{"nodes", {{"0", meminfo(0, 512 * 1024, 256 * 1024)}, {"1", kNode1Meminfo}}}, {"vmstat", kVmstat}};
}

TEST(ParseMemoryReport, ParsesEveryNodeAndVmstat) {
  auto report = parse_memory_report(report_body());
  ASSERT_TRUE(report.ok()) << report.error().message();
  ASSERT_EQ(report->nodes.size(), 2u);
  EXPECT_EQ(report->nodes.at(0).node, 0);
  EXPECT_EQ(report->nodes.at(1).node, 1);
  EXPECT_EQ(report->vmstat.size(), 9u);
}

TEST(GuestMemoryReport, SumsAndLooksUpNodes) {
  auto report = parse_memory_report(report_body());
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->total_bytes(), 512 * kMiB + kGiB);
  EXPECT_EQ(report->node_total_bytes(0), 512 * kMiB);
  EXPECT_EQ(report->node_total_bytes(1), kGiB);
  EXPECT_EQ(report->node_used_bytes(0), 256 * kMiB);
  EXPECT_EQ(report->node_used_bytes(1), kGiB - 983040 * kKiB);
  EXPECT_EQ(report->node_total_bytes(7), 0u);
  EXPECT_EQ(report->node_used_bytes(7), 0u);
}

TEST(ParseMemoryReport, StatIsOptionalAndFillsCpuTimes) {
  auto without = parse_memory_report(report_body());
  ASSERT_TRUE(without.ok()) << without.error().message();
  EXPECT_EQ(without->cpu.busy_ticks, 0u);
  EXPECT_TRUE(without->cpu.busy_per_cpu.empty());

  nlohmann::json body = report_body();
  body["stat"] = kProcStat;
  auto with = parse_memory_report(body);
  ASSERT_TRUE(with.ok()) << with.error().message();
  EXPECT_EQ(with->cpu.busy_per_cpu.size(), 2u);
  EXPECT_GT(with->cpu.busy_ticks, 0u);

  body["stat"] = 5;
  EXPECT_TRUE(contains(parse_memory_report(body).error().message(), "'stat' must be a string"));
  body["stat"] = "ctxt 5\n";
  EXPECT_FALSE(parse_memory_report(body).ok());
}

TEST(GuestMemoryReport, ReadsVmstatCounters) {
  auto report = parse_memory_report(report_body());
  ASSERT_TRUE(report.ok()) << report.error().message();
  ASSERT_TRUE(report->pgmigrate_success().ok());
  EXPECT_EQ(*report->pgmigrate_success(), 4096u);
  EXPECT_EQ(report->vmstat_value("pgmigrate_fail"), 2u);
  EXPECT_EQ(report->vmstat_value("not_a_counter"), 0u);
}

TEST(GuestMemoryReport, EmptyReportHasNoMemoryAndNoMigrationCount) {
  GuestMemoryReport empty;
  EXPECT_EQ(empty.total_bytes(), 0u);
  EXPECT_EQ(empty.node_used_bytes(0), 0u);
  EXPECT_FALSE(empty.pgmigrate_success().ok()) << "a counter the guest did not report read as 0";
}

// A report without pgmigrate_success parses (its nodes are still worth
// having), but the pages it migrated cannot be counted: an error naming the
// counter, never 0 pages.
TEST(MigratedPagesBetween, AReportWithoutTheCounterIsAnError) {
  nlohmann::json body = report_body();
  body["vmstat"] = "nr_free_pages 65536\npgmigrate_fail 0\n";
  auto without = parse_memory_report(body);
  ASSERT_TRUE(without.ok()) << without.error().message();
  auto with = parse_memory_report(report_body());
  ASSERT_TRUE(with.ok()) << with.error().message();
  auto counter = without->pgmigrate_success();
  ASSERT_FALSE(counter.ok());
  EXPECT_TRUE(contains(counter.error().message(), "no pgmigrate_success")) << counter.error().message();
  for (const auto& [before, after] : {std::pair{&*without, &*with}, std::pair{&*with, &*without}}) {
    auto migrated = migrated_pages_between(*before, *after);
    ASSERT_FALSE(migrated.ok()) << "read as " << *migrated << " pages";
    EXPECT_TRUE(contains(migrated.error().message(), "no pgmigrate_success")) << migrated.error().message();
  }
}

TEST(MigratedPagesBetween, IsTheCounterDeltaAndRejectsACounterThatRanBackwards) {
  nlohmann::json body = report_body();
  auto before = parse_memory_report(body);
  body["vmstat"] = "pgmigrate_success 5000\n";
  auto after = parse_memory_report(body);
  ASSERT_TRUE(before.ok() && after.ok());
  auto migrated = migrated_pages_between(*before, *after);
  ASSERT_TRUE(migrated.ok()) << migrated.error().message();
  EXPECT_EQ(*migrated, 5000u - 4096u);
  auto backwards = migrated_pages_between(*after, *before);
  ASSERT_FALSE(backwards.ok());
  EXPECT_TRUE(contains(backwards.error().message(), "ran backwards")) << backwards.error().message();
}

TEST(CpuSpentBetween, IsTheTickDeltaInMsAndRejectsACounterThatRanBackwards) {
  GuestMemoryReport before;
  before.cpu.busy_ticks = 100;
  before.cpu.busy_per_cpu = {60, 40};
  GuestMemoryReport after = before;
  after.cpu.busy_ticks = 103;
  after.cpu.busy_per_cpu = {62, 41, 7};  // a vCPU only one report names is left out
  auto spent = cpu_spent_between(before, after);
  ASSERT_TRUE(spent.ok()) << spent.error().message();
  EXPECT_DOUBLE_EQ(spent->ms, 3 * kMsPerTick);
  EXPECT_EQ(spent->per_cpu_ms, (std::vector<double>{2 * kMsPerTick, 1 * kMsPerTick}));
  auto backwards = cpu_spent_between(after, before);
  ASSERT_FALSE(backwards.ok()) << "read as " << backwards->ms << " ms";
  EXPECT_TRUE(contains(backwards.error().message(), "ran backwards")) << backwards.error().message();
  after.cpu.busy_per_cpu[1] = 39;  // one vCPU's counter backwards, the total forwards
  auto one_backwards = cpu_spent_between(before, after);
  ASSERT_FALSE(one_backwards.ok());
  EXPECT_TRUE(contains(one_backwards.error().message(), "cpu1")) << one_backwards.error().message();
}

TEST(ParseMemoryReport, AcceptsNoNodes) {
  auto report = parse_memory_report({{"nodes", nlohmann::json::object()}, {"vmstat", ""}});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->nodes.empty());
  EXPECT_EQ(report->total_bytes(), 0u);
}

TEST(ParseMemoryReport, RejectsKeysThatAreNotNodeNumbers) {
  for (const char* key : {"x", "-1", "1024", "", "1.5", " 1", "1 ", "0x1", "+1", "99999999999"}) {
    nlohmann::json body = {{"nodes", {{key, meminfo(0, 1024, 0)}}}, {"vmstat", ""}};
    auto report = parse_memory_report(body);
    ASSERT_FALSE(report.ok()) << "accepted node key '" << key << "'";
    EXPECT_TRUE(contains(report.error().message(), "is not a node number")) << report.error().message();
  }
}

TEST(ParseMemoryReport, AcceptsTheHighestNodeNumber) {
  auto report = parse_memory_report({{"nodes", {{"1023", meminfo(1023, 1024, 0)}}}, {"vmstat", ""}});
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->node_total_bytes(1023), kMiB);
}

TEST(ParseMemoryReport, RejectsTwoKeysForTheSameNode) {
  // "01" and "1" both name node 1: one of the two reports would be dropped silently.
  nlohmann::json body = {{"nodes", {{"1", meminfo(1, 2048, 0)}, {"01", meminfo(1, 4096, 0)}}}, {"vmstat", ""}};
  auto report = parse_memory_report(body);
  EXPECT_FALSE(report.ok()) << "node 1 reported twice, kept MemTotal " << report->node_total_bytes(1);
}

TEST(ParseMemoryReport, RejectsNodeTotalsWhoseSumOverflows) {
  const std::uint64_t huge_kb = std::numeric_limits<std::uint64_t>::max() / 1024 - 1;
  auto report = parse_memory_report(
      {{"nodes", {{"0", meminfo(0, huge_kb, 0)}, {"1", meminfo(1, huge_kb, 0)}}}, {"vmstat", ""}});
  ASSERT_FALSE(report.ok()) << "total " << report->total_bytes();
  EXPECT_TRUE(contains(report.error().message(), "overflows")) << report.error().message();
}

TEST(ParseMemoryReport, RejectsNonStringMeminfo) {
  for (const nlohmann::json& text :
       {nlohmann::json(42), nlohmann::json::object(), nlohmann::json::array({"Node 0 MemTotal: 1 kB"}),
        nlohmann::json(nullptr)}) {
    nlohmann::json body = {{"nodes", {{"3", text}}}, {"vmstat", ""}};
    auto report = parse_memory_report(body);
    ASSERT_FALSE(report.ok()) << "accepted " << text.dump();
    EXPECT_TRUE(contains(report.error().message(), "node 3 meminfo is not text")) << report.error().message();
  }
}

TEST(ParseMemoryReport, RejectsMeminfoOfAnotherNodeUnderAKey) {
  auto report = parse_memory_report({{"nodes", {{"2", kNode1Meminfo}}}, {"vmstat", ""}});
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(contains(report.error().message(), "expected node 2")) << report.error().message();
}

TEST(ParseMemoryReport, RequiresVmstatText) {
  auto missing = parse_memory_report({{"nodes", nlohmann::json::object()}});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message(), "'vmstat' is missing")) << missing.error().message();

  auto not_text = parse_memory_report({{"nodes", nlohmann::json::object()}, {"vmstat", {{"numa_hit", 1}}}});
  ASSERT_FALSE(not_text.ok());
  EXPECT_TRUE(contains(not_text.error().message(), "'vmstat' must be a string")) << not_text.error().message();

  auto bad = parse_memory_report({{"nodes", nlohmann::json::object()}, {"vmstat", "numa_hit lots\n"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message(), "vmstat")) << bad.error().message();
}

TEST(ParseMemoryReport, RequiresANodesObject) {
  auto missing = parse_memory_report({{"vmstat", ""}});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message(), "'nodes' is missing")) << missing.error().message();

  auto list = parse_memory_report({{"nodes", {"Node 0 MemTotal: 1 kB"}}, {"vmstat", ""}});
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(contains(list.error().message(), "'nodes' must be an object")) << list.error().message();

  EXPECT_FALSE(parse_memory_report(nlohmann::json::array()).ok());
  EXPECT_FALSE(parse_memory_report(nlohmann::json("text")).ok());
}

TEST(ParseMemoryReport, RejectsMoreNodesThanTheLimit) {
  nlohmann::json nodes = nlohmann::json::object();
  for (std::size_t n = 0; n <= kMaxReportedNodes; ++n) nodes[std::to_string(n)] = meminfo(static_cast<int>(n), 1024, 0);
  auto report = parse_memory_report({{"nodes", nodes}, {"vmstat", ""}});
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(contains(report.error().message(), "more than")) << report.error().message();
}

}  // namespace
}  // namespace hotmem::protocol

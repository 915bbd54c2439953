// End to end: `hotmem bench reclaim` runs both modes on real VMs and its JSON
// carries the figures, with the mechanism's signature: hotmem migrates no
// page, virtio-mem does, and both give memory back to the host. `hotmem
// bench floor` sets hotmem's reclaim against unplugging unused memory in one
// VM, and `hotmem report` reads what it wrote.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/cpu_affinity.h"
#include "common/temp_dir.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

// The host cores this test may run on (QEMU, its child, inherits them).
std::size_t host_cores() {
  auto cpus = allowed_cpus();
  return cpus ? cpus->size() : 0;
}

TEST(BenchCli, ReclaimWritesComparableResults) {
  auto dir = TempDir::create("/tmp", "hotmem-bench-test-");
  ASSERT_TRUE(dir);
  const std::string json_path = (dir->path() / "reclaim.json").string();
  auto run = run_hotmem({"bench", "reclaim", "--instances", "3", "--instance-mib", "256", "--reclaim-mib", "512",
                         "--utilization", "1", "--repeat", "1", "--json", json_path},
                        std::chrono::seconds(600));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("faster than virtio-mem"), std::string::npos) << run.output;
  std::ifstream in(json_path);
  auto doc = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  ASSERT_TRUE(doc.contains("host"));
  EXPECT_TRUE(doc["host"].contains("accel"));
  ASSERT_EQ(doc["results"].size(), 2u);
  for (const auto& r : doc["results"]) {
    for (const char* key : {"mode", "reclaim_mib", "utilization", "reclaim_ms", "reclaim_ms_all", "migrated_pages",
                            "host_rss_released_mib", "guest_cpu_ms"}) {
      EXPECT_TRUE(r.contains(key)) << key;
    }
    EXPECT_EQ(r["reclaim_mib"], 512.0);
    EXPECT_GT(r["host_rss_released_mib"].get<double>(), 256.0) << r.dump();
    // Both modes unplug through virtio-mem devices: every reclaim ends at
    // QEMU's size-change event, not at the poll that saw it.
    EXPECT_EQ(r["reclaims_dated_by_event"], r["reclaim_ms_all"].size()) << r.dump();
    // Where QEMU's threads ran, read back from the host at the end: with a
    // host core to spare beside the VM's one vCPU, the vCPU thread had a core
    // no other QEMU thread may use, in both modes.
    ASSERT_TRUE(r.contains("cpu_placement")) << r.dump();
    EXPECT_FALSE(r["cpu_placement"].contains("error")) << r.dump();
    if (doc["config"]["vcpus"] == 1 && host_cores() >= 2) {
      EXPECT_EQ(r["cpu_placement"]["vcpus_apart"], true) << r.dump();
      EXPECT_NE(r["cpu_placement"]["vcpu_cores"], r["cpu_placement"]["other_cores"]) << r.dump();
    }
    if (r["mode"] == "hotmem") {
      EXPECT_EQ(r["migrated_pages"], 0) << r.dump();
    } else {
      EXPECT_GT(r["migrated_pages"].get<std::uint64_t>(), 0u) << r.dump();
    }
  }
}

// One small VM (4 partitions of 256 MiB), two sizes, two rounds: well under a
// minute on TCG.
TEST(BenchCli, FloorAgainstUnusedMemory) {
  auto dir = TempDir::create("/tmp", "hotmem-bench-floor-test-");
  ASSERT_TRUE(dir);
  const std::filesystem::path json_path = dir->path() / "floor.json";
  auto run = run_hotmem({"bench", "floor", "--instances", "4", "--instance-mib", "256", "--sizes", "256,512",
                         "--repeat", "2", "--settle-ms", "500", "--json", json_path.string()},
                        std::chrono::seconds(300));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("the floor"), std::string::npos) << run.output;
  std::ifstream in(json_path);
  auto doc = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["benchmark"], "floor");
  ASSERT_EQ(doc["results"].size(), 2u);
  double size = 256;
  for (const auto& r : doc["results"]) {
    SCOPED_TRACE(r.dump());
    EXPECT_EQ(r["reclaim_mib"].get<double>(), size);
    EXPECT_EQ(r["unused_ms_all"].size(), 2u);
    EXPECT_EQ(r["reclaim_ms_all"].size(), 2u);
    // Neither the unused partitions nor the ended instances' moved a page,
    // and every reclaim gave back the whole size.
    EXPECT_EQ(r["unused_migrated_pages"].get<double>(), 0.0);
    EXPECT_EQ(r["migrated_pages"].get<double>(), 0.0);
    EXPECT_EQ(r["unused_unplugged_mib"].get<double>(), size);
    EXPECT_EQ(r["unplugged_mib"].get<double>(), size);
    // The instances had touched their memory: it goes back to the host.
    EXPECT_GT(r["host_rss_released_mib"].get<double>(), size / 2);
    for (const char* variant : {"unused_", ""}) {
      const std::string prefix = variant;
      const auto& total = r[prefix.empty() ? "reclaim_ms_all" : "unused_ms_all"];
      const auto& device = r[prefix + "device_ms_all"];
      ASSERT_EQ(device.size(), total.size());
      for (std::size_t i = 0; i < total.size(); ++i) {
        EXPECT_GT(device[i].get<double>(), 0.0);
        EXPECT_LE(device[i].get<double>(), total[i].get<double>()) << "the device part is part of the reclaim";
      }
    }
    EXPECT_GT(r["ratio_vs_floor"].get<double>(), 0.0);
    size *= 2;
  }

  auto report = run_hotmem({"report", "--results", dir->path().string()});
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_TRUE(std::filesystem::exists(dir->path() / "floor.csv"));
  std::ifstream html_in(dir->path() / "report.html");
  const std::string html((std::istreambuf_iterator<char>(html_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("id=\"exp-floor\""), std::string::npos);
  EXPECT_NE(html.find("<th>ratio_vs_floor</th>"), std::string::npos);
}

}  // namespace
}  // namespace hotmem::e2e

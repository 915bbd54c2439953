// End to end: `hotmem bench reclaim` runs both modes on real VMs and its JSON
// carries the figures, with the mechanism's signature: hotmem migrates no
// page, virtio-mem does, and both give memory back to the host.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/temp_dir.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

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
    if (r["mode"] == "hotmem") {
      EXPECT_EQ(r["migrated_pages"], 0) << r.dump();
    } else {
      EXPECT_GT(r["migrated_pages"].get<std::uint64_t>(), 0u) << r.dump();
    }
  }
}

}  // namespace
}  // namespace hotmem::e2e

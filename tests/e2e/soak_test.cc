// End to end: a reduced soak (the full one is `hotmem bench soak`, 500
// cycles): a function scaled up and down through the autoscaler in hotmem
// and virtio-mem mode, invocations in between. Every invocation answered;
// afterwards no partition plugged, no instance on the host or in the guest,
// no fd more than before, one QEMU; QEMU's RSS near its baseline.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/temp_dir.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

TEST(Soak, ScalingUpAndDownLeavesNothingBehindAndLosesNoInvocation) {
  auto dir = TempDir::create("/tmp", "e2e-soak-");
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string out = (dir->path() / "soak.json").string();
  const CommandResult run =
      run_hotmem({"bench", "soak", "--cycles", "8", "--modes", "hotmem,virtio-mem", "--json", out}, std::chrono::seconds(600));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::ifstream in(out);
  const auto document = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(document.is_object()) << run.output;
  ASSERT_EQ(document["results"].size(), 2u) << document.dump(2);
  for (const auto& r : document["results"]) {
    const std::string mode = r["mode"];
    EXPECT_EQ(r["answered"], r["invocations"]) << mode << ": " << r.dump(2);
    EXPECT_EQ(r["failed"], 0) << mode;
    EXPECT_EQ(r["lost"], 0) << mode;
    EXPECT_EQ(r["stuck"], "") << mode;
    EXPECT_EQ(r["partitions_left"], 0) << mode;
    EXPECT_EQ(r["host_instances_left"], 0) << mode;
    EXPECT_EQ(r["guest_instances_left"], 0) << mode;
    EXPECT_EQ(r["qemu_processes"], 1) << mode;
    EXPECT_LE(r["fds_after"].get<int>(), r["fds_before"].get<int>()) << mode << ": fds leaked";
    EXPECT_LE(std::abs(r["rss_change_pct"].get<double>()), 10.0) << mode << ": QEMU RSS did not come back";
    // Each cycle (and the warm-up) started and gave back its instances.
    EXPECT_GE(r["cold_starts"].get<double>(), 9.0) << mode;
    EXPECT_EQ(r["reclaims"], r["cold_starts"]) << mode;
    if (mode == "hotmem") {
      EXPECT_EQ(r["migrated_pages"], 0);
      EXPECT_EQ(r["unplugged_mib"], r["plugged_mib"]);
    }
  }
}

}  // namespace
}  // namespace hotmem::e2e

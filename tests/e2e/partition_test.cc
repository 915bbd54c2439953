// End to end: HotMem's core mechanism on a real guest. Each instance's memory
// lies on its own partition node only; the partitions of ended instances are
// reclaimed with zero page migrations, the host gets the memory back and the
// surviving neighbours keep their memory intact. The same scenario in
// virtio-mem mode must migrate pages: proof that the baseline is the real,
// interleaved state of practice.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "host/deployment.h"
#include "host/guest_workloads.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

using host::Deployment;
using host::RetiredInstance;

constexpr int kInstances = 4;
constexpr std::uint64_t kPartitionTouchMib = 300;
constexpr std::uint64_t kFileMib = 16;                   // tmpfs pages in its scratch
constexpr std::uint64_t kInstanceBytes = 384 * kMiB;     // memory.max = partition size

std::unique_ptr<Deployment> deploy(const std::string& mode) {
  return deploy_or_fail(test_deployment_spec(mode, mode, kInstances, kInstanceBytes));
}

host::InstanceRequest toucher(const std::string& name, std::uint64_t mib, std::uint64_t seed) {
  host::InstanceRequest r;
  r.program.name = name;
  r.program.argv = host::touch_argv(mib, kFileMib, seed);
  r.ready_timeout = std::chrono::seconds(30);
  return r;
}

std::string instance_name(int i) { return fmt::format("fn-{}", i); }

// Starts four instances, stops two (fn-0, fn-2), reclaims their memory.
struct Outcome {
  std::uint64_t migrated_pages = 0;
  std::uint64_t rss_released = 0;
  std::vector<RetiredInstance> retired;
};

Outcome run_scenario(Deployment& d, bool check_placement) {
  Outcome out;
  for (int i = 0; i < kInstances; ++i) {
    auto before = d.memory_report();
    EXPECT_TRUE(before) << before.error().message();
    auto started = d.start(toucher(instance_name(i), kPartitionTouchMib, static_cast<std::uint64_t>(i + 1)));
    EXPECT_TRUE(started) << started.error().message();
    if (!started || !before || !check_placement) continue;
    auto after = d.memory_report();
    EXPECT_TRUE(after) << after.error().message();
    if (!after) continue;
    const int own = started->grant.node.value();
    EXPECT_GE(after->node_used_bytes(own), 280 * kMiB) << "instance " << i << " lies on node " << own;
    // In transparent hugepages, as in a static guest (hotmem.thp=always),
    // although the guest booted with too little memory for Linux to keep them on.
    EXPECT_GE(after->nodes.at(own).get("AnonHugePages"), 200 * kMiB) << "instance " << i << ": no THP on node " << own;
    for (const auto& [node, info] : after->nodes) {
      if (node == 0 || node == own) continue;
      EXPECT_LE(after->node_used_bytes(node), before->node_used_bytes(node) + 2 * kMiB)
          << "partition node " << node << " grew while instance " << i << " started on node " << own;
    }
  }
  const host::RetireReport retired = d.retire({instance_name(0), instance_name(2)});
  EXPECT_TRUE(retired.status) << retired.status.error().message();
  EXPECT_TRUE(retired.measured) << retired.measured.error().message();
  EXPECT_EQ(retired.instances.size(), 2u);
  out.retired = retired.instances;
  out.migrated_pages = retired.migrated_pages;
  if (retired.rss_before > retired.rss_after) out.rss_released = retired.rss_before - retired.rss_after;
  return out;
}

// Stops the survivors (fn-1, fn-3), which check their memory as they end,
// and reclaims their memory too.
void expect_survivors_intact(Deployment& d) {
  const host::RetireReport retired = d.retire({instance_name(1), instance_name(3)});
  EXPECT_TRUE(retired.status) << retired.status.error().message();
  ASSERT_EQ(retired.instances.size(), 2u);
  for (const RetiredInstance& r : retired.instances) {
    EXPECT_EQ(r.end.exit, "exited with status 0") << "instance " << r.name << " lost memory content";
  }
}

int partitions_in(Deployment& d, const char* state) {
  const auto view = d.describe()["memory"];
  int n = 0;
  for (const auto& p : view["partitions"]) n += p["state"] == state ? 1 : 0;
  return n;
}

TEST(Partitions, ReclaimOfEndedInstancesMigratesNothingAndFreesHostMemory) {
  auto d = deploy("hotmem");
  ASSERT_TRUE(d);
  Outcome out = run_scenario(*d, /*check_placement=*/true);
  EXPECT_EQ(out.migrated_pages, 0u) << "an empty partition unplugs without migration";
  EXPECT_GE(out.rss_released, 500 * kMiB) << "QEMU RSS must fall by the reclaimed memory";
  for (const RetiredInstance& s : out.retired) {
    EXPECT_EQ(s.end.exit, "exited with status 0");
    // The agent cleared scratch (tmpfs) and page cache: the node is empty.
    EXPECT_EQ(s.end.node_shmem_bytes, 0u) << "scratch pages left on node " << s.end.node.value_or(-1);
    EXPECT_LE(s.end.node_used_bytes, 4 * kMiB) << "pages left on node " << s.end.node.value_or(-1);
    EXPECT_TRUE(s.end.cleanup_error.empty()) << s.end.cleanup_error;
  }
  // Reclaimed partitions are empty again; the survivors' are assigned.
  EXPECT_EQ(partitions_in(*d, "empty"), 2);
  EXPECT_EQ(partitions_in(*d, "assigned"), 2);
  expect_survivors_intact(*d);
  EXPECT_EQ(partitions_in(*d, "empty"), kInstances);

  // An instance that outgrows its partition is OOM-killed alone; its
  // neighbour is untouched and its partition is reclaimed afterwards.
  auto calm = d->start(toucher("calm", 100, 7));
  ASSERT_TRUE(calm) << calm.error().message();
  auto greedy = d->start(toucher("greedy", 600, 8));
  EXPECT_FALSE(greedy) << "an instance touching 600 MiB in a 384 MiB partition must die";
  if (!greedy) {
    EXPECT_NE(greedy.error().message().find("signal 9"), std::string::npos) << greedy.error().message();
  }
  auto report = d->memory_report();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->node_total_bytes(calm->grant.node.value()), kInstanceBytes);
  const host::RetireReport calm_end = d->retire({"calm"});
  EXPECT_TRUE(calm_end.status) << calm_end.status.error().message();
  ASSERT_EQ(calm_end.instances.size(), 1u);
  EXPECT_EQ(calm_end.instances[0].end.exit, "exited with status 0") << "the neighbour of an OOM kill kept its memory";
  EXPECT_EQ(partitions_in(*d, "empty"), kInstances) << d->describe()["memory"].dump();
}

TEST(Partitions, VirtioMemBaselineMigratesPages) {
  auto d = deploy("virtio-mem");
  ASSERT_TRUE(d);
  Outcome out = run_scenario(*d, /*check_placement=*/false);
  EXPECT_GT(out.migrated_pages, 0u) << "instances interleave in one device: unplug must migrate";
  // Less comes back than in hotmem mode: the survivors' migrated pages now
  // occupy memory that was free before.
  EXPECT_GE(out.rss_released, 256 * kMiB);
  expect_survivors_intact(*d);
}

}  // namespace
}  // namespace hotmem::e2e

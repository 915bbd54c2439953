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
using host::StoppedInstance;

constexpr int kInstances = 4;
constexpr std::uint64_t kPartitionTouchMib = 300;
constexpr std::uint64_t kFileMib = 16;                   // tmpfs pages in its scratch
constexpr std::uint64_t kInstanceBytes = 384 * kMiB;     // memory.max = partition size

std::unique_ptr<Deployment> deploy(const std::string& mode) {
  return deploy_or_fail(test_deployment_spec(mode, mode, kInstances, kInstanceBytes));
}

host::InstanceRequest toucher(const std::string& name, std::uint64_t mib, std::uint64_t seed) {
  host::InstanceRequest r;
  r.name = name;
  r.argv = host::touch_argv(mib, kFileMib, seed);
  r.ready_timeout = std::chrono::seconds(30);
  return r;
}

std::string instance_name(int i) { return fmt::format("fn-{}", i); }

// Starts four instances, stops two (fn-0, fn-2), reclaims their memory.
struct Outcome {
  std::uint64_t migrated_pages = 0;
  std::uint64_t rss_released = 0;
  std::vector<StoppedInstance> stopped;
};

Outcome run_scenario(Deployment& d, bool check_placement) {
  Outcome out;
  auto& pool = d.pool();
  auto& agent = d.vm().agent();
  for (int i = 0; i < kInstances; ++i) {
    auto before = agent.memory_report();
    EXPECT_TRUE(before) << before.error().message();
    auto started = pool.start(toucher(instance_name(i), kPartitionTouchMib, static_cast<std::uint64_t>(i + 1)));
    EXPECT_TRUE(started) << started.error().message();
    if (!started || !before || !check_placement) continue;
    auto after = agent.memory_report();
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
  auto report = agent.memory_report();
  auto rss_before = d.vm().vmm().rss_bytes();
  EXPECT_TRUE(report && rss_before);
  for (int i : {0, 2}) {
    auto stopped = pool.stop(instance_name(i));
    EXPECT_TRUE(stopped) << stopped.error().message();
    if (stopped) out.stopped.push_back(*stopped);
  }
  auto reclaimed = pool.reclaim(out.stopped);
  EXPECT_TRUE(reclaimed) << reclaimed.error().message();
  auto after = agent.memory_report();
  auto rss_after = d.vm().vmm().rss_bytes();
  EXPECT_TRUE(after && rss_after);
  if (report && after) out.migrated_pages = after->pgmigrate_success() - report->pgmigrate_success();
  if (rss_before && rss_after && *rss_before > *rss_after) out.rss_released = *rss_before - *rss_after;
  return out;
}

// Stops the survivors (fn-1, fn-3), which check their memory as they end,
// and reclaims their memory too.
void expect_survivors_intact(Deployment& d) {
  std::vector<StoppedInstance> stopped;
  for (int i : {1, 3}) {
    auto end = d.pool().stop(instance_name(i));
    ASSERT_TRUE(end) << end.error().message();
    EXPECT_EQ(end->end.exit, "exited with status 0") << "instance " << i << " lost memory content";
    stopped.push_back(*end);
  }
  auto reclaimed = d.pool().reclaim(stopped);
  EXPECT_TRUE(reclaimed) << reclaimed.error().message();
}

int partitions_in(Deployment& d, const char* state) {
  const auto view = d.mode().describe();
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
  for (const StoppedInstance& s : out.stopped) {
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
  auto calm = d->pool().start(toucher("calm", 100, 7));
  ASSERT_TRUE(calm) << calm.error().message();
  auto greedy = d->pool().start(toucher("greedy", 600, 8));
  EXPECT_FALSE(greedy) << "an instance touching 600 MiB in a 384 MiB partition must die";
  if (!greedy) {
    EXPECT_NE(greedy.error().message().find("signal 9"), std::string::npos) << greedy.error().message();
  }
  auto report = d->vm().agent().memory_report();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->node_total_bytes(calm->grant.node.value()), kInstanceBytes);
  auto calm_end = d->pool().stop("calm");
  ASSERT_TRUE(calm_end) << calm_end.error().message();
  EXPECT_EQ(calm_end->end.exit, "exited with status 0") << "the neighbour of an OOM kill kept its memory";
  auto reclaimed = d->pool().reclaim({*calm_end});
  EXPECT_TRUE(reclaimed) << reclaimed.error().message();
  EXPECT_EQ(partitions_in(*d, "empty"), kInstances) << d->mode().describe().dump();
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

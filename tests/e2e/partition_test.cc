// End to end: HotMem's core mechanism on a real guest. Each instance's memory
// lies on its own partition node only; the partitions of ended instances are
// reclaimed with zero page migrations, the host gets the memory back and the
// surviving neighbours keep their memory intact. The same scenario in
// virtio-mem mode must migrate pages: proof that the baseline is the real,
// interleaved state of practice.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "host/deployment.h"
#include "common/poll.h"
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
    ASSERT_TRUE(s.end.left.has_value()) << "instance " << s.name << " was bound to a node";
    EXPECT_EQ(s.end.left->shmem_bytes, 0u) << "scratch pages left on node " << s.end.left->node;
    EXPECT_LE(s.end.left->used_bytes, 4 * kMiB) << "pages left on node " << s.end.left->node;
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

// A busybox shell instance running `script`; it reports ready itself.
host::InstanceRequest shell(const std::string& name, const std::string& script) {
  host::InstanceRequest r;
  r.program.name = name;
  r.program.argv = {"/bin/sh", "-c", script};
  r.ready_timeout = std::chrono::seconds(30);
  return r;
}

constexpr const char* kReportReady = "eval \"echo ready >&$HOTMEM_READY_FD\"";
constexpr std::uint64_t kLeftoverPartitionBytes = 128 * kMiB;
constexpr std::uint64_t kLeftoverFileMib = 16;

// Writes a file into the guest's /dev (a tmpfs no instance owns), bound to
// the instance's node: memory no process holds, that the agent must not
// delete.
host::InstanceRequest dev_file_writer(const std::string& name) {
  return shell(name, fmt::format("dd if=/dev/zero of=/dev/hotmem-left bs=1M count={} 2>/dev/null && {} && "
                                 "exec sleep 100000",
                                 kLeftoverFileMib, kReportReady));
}

std::size_t dirty_records(Deployment& d) { return d.describe()["dirty_partitions"].size(); }

TEST(Partitions, WhatAnInstanceLeavesIsClearedOrSetAsideNeverUnpluggedAsItIs) {
  auto d = deploy_or_fail(test_deployment_spec("leftovers", "hotmem", 3, kLeftoverPartitionBytes));
  ASSERT_TRUE(d);

  // A plain instance leaves its partition empty (the slack's measure).
  ASSERT_TRUE(d->start(toucher("plain", 64, 1)));
  const host::RetireReport plain = d->retire({"plain"});
  ASSERT_TRUE(plain.status) << plain.status.error().message();
  ASSERT_TRUE(plain.instances[0].end.left.has_value());
  std::printf("a plain instance left %.3f MiB on its node (slack %.1f MiB)\n",
              to_mib(plain.instances[0].end.left->used_bytes), to_mib(Deployment::kEmptySlackBytes));
  EXPECT_TRUE(plain.dirty.empty());
  EXPECT_EQ(plain.migrated_pages, 0u);

  // A process that leaves its instance's cgroup survives the instance, its
  // pages bound to the node and its scratch tmpfs alive: the agent ends it,
  // and the partition unplugs empty. (It must not report ready: the status
  // pipe closes with the instance, and a late write would kill it.)
  auto escaper = d->start(shell(
      "escaper", fmt::format("sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs && unset HOTMEM_READY_FD && exec {}' & exec {}",
                             fmt::join(host::touch_argv(32, 8, 2), " "), fmt::join(host::touch_argv(4, 0, 3), " "))));
  ASSERT_TRUE(escaper) << escaper.error().message();
  const int node = escaper->grant.node.value();
  auto held = poll_until(
      [&d, node]() -> Result<bool> {
        auto report = d->memory_report();
        if (!report) return report.error();
        return report->node_used_bytes(node) >= 44 * kMiB;
      },
      std::chrono::seconds(30), [node] { return fmt::format("the escaped process to fill node {}", node); });
  ASSERT_TRUE(held) << held.error().message();
  const host::RetireReport escaped = d->retire({"escaper"});
  ASSERT_TRUE(escaped.status) << escaped.status.error().message();
  ASSERT_EQ(escaped.dirty.size(), 1u);
  const host::DirtyPartition& cleared = escaped.dirty[0];
  std::printf("escaper: %.1f MiB on node %d after its instance ended, %.3f MiB after clearing: %s\n",
              to_mib(cleared.bytes), node, to_mib(cleared.left_bytes), cleared.reason.c_str());
  EXPECT_EQ(cleared.action, "cleared");
  EXPECT_GE(cleared.bytes, 36 * kMiB) << "the escaped process's memory was on the node";
  EXPECT_NE(cleared.reason.find("(hotmem-agent) in cgroup / held"), std::string::npos) << cleared.reason;
  EXPECT_EQ(escaped.migrated_pages, 0u) << "the cleared partition unplugs without migration";
  EXPECT_EQ(partitions_in(*d, "empty"), 3);

  // A file in a tmpfs no instance owns cannot be cleared. Kept: the
  // partition stays plugged and unused ...
  ASSERT_TRUE(d->start(dev_file_writer("keeper")));
  host::RetireOptions keep;
  keep.dirty = host::DirtyPolicy::kKeep;
  const host::RetireReport kept = d->retire({"keeper"}, keep);
  EXPECT_FALSE(kept.status) << "a kept partition is memory that did not come back";
  ASSERT_EQ(kept.dirty.size(), 1u);
  EXPECT_EQ(kept.dirty[0].action, "kept");
  EXPECT_GE(kept.dirty[0].left_bytes, (kLeftoverFileMib - 1) * kMiB) << kept.dirty[0].reason;
  EXPECT_EQ(partitions_in(*d, "dirty"), 1) << d->describe()["memory"].dump();
  EXPECT_EQ(d->dirty_partitions(), 1u);
  auto plugged = d->held_bytes();
  ASSERT_TRUE(plugged);
  EXPECT_EQ(*plugged, kLeftoverPartitionBytes) << "the dirty partition stays plugged";
  EXPECT_FALSE(d->reclaim_emptied().reclaimed) << "still not empty: nothing to reclaim";

  // ... until it is empty: then it unplugs without migration.
  ASSERT_TRUE(d->start(shell("cleaner", fmt::format("rm /dev/hotmem-left && {} && exec sleep 100000", kReportReady))));
  ASSERT_TRUE(d->retire({"cleaner"}).status);
  const host::RetireReport emptied = d->reclaim_emptied();
  ASSERT_TRUE(emptied.status) << emptied.status.error().message();
  ASSERT_EQ(emptied.dirty.size(), 1u);
  EXPECT_EQ(emptied.dirty[0].action, "reclaimed");
  EXPECT_EQ(emptied.migrated_pages, 0u);
  EXPECT_EQ(d->dirty_partitions(), 0u);
  EXPECT_EQ(partitions_in(*d, "empty"), 3);

  // Migrate (the default): unplugged all the same, the migration counted.
  ASSERT_TRUE(d->start(dev_file_writer("migrated")));
  const host::RetireReport migrated = d->retire({"migrated"});
  ASSERT_TRUE(migrated.status) << migrated.status.error().message();
  ASSERT_EQ(migrated.dirty.size(), 1u);
  EXPECT_EQ(migrated.dirty[0].action, "migrated");
  EXPECT_GE(migrated.dirty[0].migrated_pages, (kLeftoverFileMib - 1) * kMiB / 4096) << migrated.dirty[0].reason;
  EXPECT_EQ(migrated.migrated_pages, migrated.dirty[0].migrated_pages);
  EXPECT_EQ(partitions_in(*d, "empty"), 3);
  EXPECT_EQ(dirty_records(*d), 4u) << d->describe()["dirty_partitions"].dump();
}

}  // namespace
}  // namespace hotmem::e2e

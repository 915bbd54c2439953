// End to end: `hotmem replay`'s measurement on a real guest. A short plan
// (two overlapping cold starts, then a warm call) is replayed in hotmem mode:
// every invocation is answered, both instances cold-start in partitions, the
// sampled QEMU RSS rises by what they touched and, once the keep-alive ends,
// falls back as both partitions are unplugged with no page migrated; the
// footprint is the integral of those samples.
#include <algorithm>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "replay/replayer.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kTouchMib = 96;

replay::Arrival arrival(Clock::duration at, int ms) {
  return replay::Arrival{at, 0, {{"mib", kTouchMib}, {"ms", ms}}};
}

TEST(Replay, HotmemFootprintRisesWithTheInstancesAndFallsWhenTheirKeepAliveEnds) {
  replay::ReplayPlan plan;
  replay::ReplayFunction f;
  f.spec.name = "replayed";
  f.spec.runtime = "native";
  f.spec.memory_mib = 256;
  f.spec.concurrency = 2;
  f.spec.keep_alive = 3s;
  plan.functions.push_back(f);
  // Two at once: two cold starts, two partitions. Then one on a warm instance.
  plan.arrivals = {arrival(0ms, 2500), arrival(200ms, 2500), arrival(4s, 100)};
  plan.length = 4s;

  replay::ReplayOptions options;
  options.vm = test_vm_config("e2e-replay");
  options.vm.memory_devices.clear();
  options.vm.vcpus = 1;
  options.tail = 9s;  // keep-alive (3 s) + reclaim, after the plan's end
  auto outcome = replay::replay_mode(plan, "hotmem", options, [](const std::string&) {});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  const replay::ModeOutcome& o = *outcome;

  EXPECT_EQ(o.answered, 3u);
  EXPECT_EQ(o.failed, 0u) << (o.errors.empty() ? "" : o.errors.front());
  EXPECT_EQ(o.cold_starts, 2u);
  ASSERT_EQ(o.latencies_ms.size(), 3u);
  EXPECT_GE(*std::min_element(o.latencies_ms.begin(), o.latencies_ms.end()), 100.0);

  // Samples over the whole run; the instances' memory shows on the host and
  // goes back to it: both partitions unplugged, nothing migrated.
  ASSERT_GE(o.samples.size(), 20u);
  EXPECT_GE(o.samples.back().t_s, 12.5);
  const std::uint64_t first = o.samples.front().rss_bytes;
  const std::uint64_t last = o.samples.back().rss_bytes;
  EXPECT_GE(o.peak_rss_bytes, first + 2 * kTouchMib * kMiB * 8 / 10)
      << "first " << to_mib(first) << " MiB, peak " << to_mib(o.peak_rss_bytes) << " MiB";
  EXPECT_LE(last + 2 * kTouchMib * kMiB * 8 / 10, o.peak_rss_bytes)
      << "the partitions' memory stayed on the host: peak " << to_mib(o.peak_rss_bytes) << " MiB, last "
      << to_mib(last) << " MiB";
  EXPECT_EQ(o.reclaims, 2.0);
  EXPECT_EQ(o.migrated_pages, 0.0);

  // The footprint integrates the samples over the window every mode shares
  // (the plan's 4 s and the 9 s tail): between the lowest and the highest
  // RSS held over it.
  EXPECT_DOUBLE_EQ(o.window_s, 13.0);
  EXPECT_LT(o.calls_end_s, o.window_s);
  std::uint64_t lowest = first;
  for (const auto& s : o.samples) lowest = std::min(lowest, s.rss_bytes);
  const double span_s = o.window_s - o.samples.front().t_s;
  EXPECT_GE(o.footprint_gib_s, span_s * double(lowest) / double(kGiB));
  EXPECT_LE(o.footprint_gib_s, span_s * double(o.peak_rss_bytes) / double(kGiB));
  EXPECT_GT(o.footprint_gib_s, span_s * double(lowest) / double(kGiB) * 1.02)
      << "the instances' memory does not show in the footprint";
}

}  // namespace
}  // namespace hotmem::e2e

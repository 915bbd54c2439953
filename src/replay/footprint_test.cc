#include "replay/footprint.h"

#include <gtest/gtest.h>

#include "common/size.h"

namespace hotmem::replay {
namespace {

constexpr auto kRss = &FootprintSample::rss_bytes;

TEST(IntegrateGibS, IsTheAreaUnderTheSamples) {
  // 1 GiB for 2 s, then a ramp to 3 GiB over 2 s: 2 + 4 GiB*s.
  const std::vector<FootprintSample> samples{{0, kGiB, 0}, {2, kGiB, 0}, {4, 3 * kGiB, 0}};
  EXPECT_DOUBLE_EQ(integrate_gib_s(samples, 4, kRss), 6.0);
  EXPECT_DOUBLE_EQ(integrate_gib_s(samples, 4, &FootprintSample::committed_bytes), 0.0);
}

// The defect it replaces: a mode whose calls ended later was sampled, and
// integrated, for longer. Past the window nothing counts.
TEST(IntegrateGibS, StopsAtTheWindowWhateverTheSamplesAfterIt) {
  const std::vector<FootprintSample> early{{0, kGiB, 0}, {10, kGiB, 0}};
  const std::vector<FootprintSample> late{{0, kGiB, 0}, {10, kGiB, 0}, {15, kGiB, 0}, {30, 8 * kGiB, 0}};
  EXPECT_DOUBLE_EQ(integrate_gib_s(early, 10, kRss), 10.0);
  EXPECT_DOUBLE_EQ(integrate_gib_s(late, 10, kRss), 10.0);
}

TEST(IntegrateGibS, CutsTheIntervalThatCrossesTheWindowsEnd) {
  // From 0 to 4 GiB between t = 0 and 4 s; the window ends at 1 s, where
  // the line is at 1 GiB: a triangle of 0.5 GiB*s.
  const std::vector<FootprintSample> samples{{0, 0, 0}, {4, 4 * kGiB, 0}};
  EXPECT_DOUBLE_EQ(integrate_gib_s(samples, 1, kRss), 0.5);
}

TEST(IntegrateGibS, HoldsTheLastSampleUntilTheWindowsEnd) {
  const std::vector<FootprintSample> samples{{0, 2 * kGiB, 0}, {1, 2 * kGiB, 0}};
  EXPECT_DOUBLE_EQ(integrate_gib_s(samples, 3, kRss), 6.0);
}

TEST(IntegrateGibS, TwoModesSampledOnDifferentTicksGetTheSameWindow) {
  // The same 1 GiB held all along, sampled every 0.25 s in one mode and
  // every 0.4 s (ending past the window) in the other.
  std::vector<FootprintSample> a, b;
  for (int i = 0; i <= 40; ++i) a.push_back({i * 0.25, kGiB, 0});
  for (int i = 0; i <= 30; ++i) b.push_back({i * 0.4, kGiB, 0});
  EXPECT_NEAR(integrate_gib_s(a, 10, kRss), 10.0, 1e-9);
  EXPECT_NEAR(integrate_gib_s(b, 10, kRss), 10.0, 1e-9);
}

TEST(IntegrateGibS, NoSamplesIsNothing) { EXPECT_DOUBLE_EQ(integrate_gib_s({}, 10, kRss), 0.0); }

}  // namespace
}  // namespace hotmem::replay

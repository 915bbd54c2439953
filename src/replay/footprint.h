// The host footprint of a replay: the memory its VMs hold, sampled over
// time and integrated over one window that every mode shares, so that no
// mode's footprint is longer (or shorter) than another's for reasons of
// its own, such as calls that end later.
#pragma once

#include <cstdint>
#include <vector>

namespace hotmem::replay {

struct FootprintSample {
  double t_s = 0;                     // seconds since the replay's first arrival could go out
  std::uint64_t rss_bytes = 0;        // the QEMU processes' resident memory, summed
  std::uint64_t committed_bytes = 0;  // what the budget accounts (boot memory + plugged)
};

// One field of a sample, integrated with trapezoids over [0, window_s], in
// GiB*s. The interval that crosses window_s is cut there (linear
// interpolation) and samples after it count for nothing; when the samples
// end before window_s, the last one holds until it.
double integrate_gib_s(const std::vector<FootprintSample>& samples, double window_s,
                       std::uint64_t FootprintSample::*field);

}  // namespace hotmem::replay

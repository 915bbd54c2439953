#include "replay/footprint.h"

#include "common/size.h"

namespace hotmem::replay {

double integrate_gib_s(const std::vector<FootprintSample>& samples, double window_s,
                       std::uint64_t FootprintSample::*field) {
  double byte_seconds = 0;
  for (std::size_t i = 1; i < samples.size(); ++i) {
    const FootprintSample& a = samples[i - 1];
    const FootprintSample& b = samples[i];
    if (a.t_s >= window_s) break;
    const double va = static_cast<double>(a.*field);
    double vb = static_cast<double>(b.*field);
    double end = b.t_s;
    if (b.t_s > window_s) {  // cut at the window's end
      vb = va + (vb - va) * (window_s - a.t_s) / (b.t_s - a.t_s);
      end = window_s;
    }
    byte_seconds += (end - a.t_s) * (va + vb) / 2;
  }
  if (!samples.empty() && samples.back().t_s < window_s) {
    byte_seconds += (window_s - samples.back().t_s) * static_cast<double>(samples.back().*field);
  }
  return byte_seconds / static_cast<double>(kGiB);
}

}  // namespace hotmem::replay

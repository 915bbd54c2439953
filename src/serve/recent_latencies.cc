#include "serve/recent_latencies.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hotmem::serve {

void RecentLatencies::record(Clock::time_point ended, Clock::duration total, bool cold) {
  std::lock_guard lock(mutex_);
  samples_.push_back(Sample{++recorded_, ended, total, cold});
  if (samples_.size() > kCapacity) samples_.pop_front();
}

nlohmann::json RecentLatencies::to_json(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  nlohmann::json recent = nlohmann::json::array();
  std::vector<double> totals_ms;
  for (const Sample& s : samples_) {
    if (now - s.ended > kWindow) continue;
    const double total_ms = to_ms(s.total);
    totals_ms.push_back(total_ms);
    recent.push_back({{"seq", s.seq},
                      {"age_ms", std::max(0.0, to_ms(now - s.ended))},
                      {"total_ms", total_ms},
                      {"cold", s.cold}});
  }
  nlohmann::json out{{"window_s", std::chrono::duration_cast<std::chrono::seconds>(kWindow).count()},
                     {"invocations", recorded_},
                     {"count", totals_ms.size()}};
  if (!totals_ms.empty()) {
    std::sort(totals_ms.begin(), totals_ms.end());
    // Nearest rank: the smallest sample with at least q of them at or below it.
    const auto rank = [&totals_ms](double q) {
      const auto n = static_cast<double>(totals_ms.size());
      const auto at = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n))) - 1;
      return totals_ms[at];
    };
    out["p50_ms"] = rank(0.50);
    out["p99_ms"] = rank(0.99);
    out["max_ms"] = totals_ms.back();
  }
  out["recent"] = std::move(recent);
  return out;
}

}  // namespace hotmem::serve

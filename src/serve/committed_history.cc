#include "serve/committed_history.h"

#include <algorithm>

namespace hotmem::serve {

void CommittedHistory::record(Clock::time_point at, std::uint64_t bytes) {
  const Clock::time_point second =
      Clock::time_point(std::chrono::floor<std::chrono::seconds>(at.time_since_epoch()));
  if (!samples_.empty() && samples_.back().second == second) {
    samples_.back().last = bytes;
    samples_.back().peak = std::max(samples_.back().peak, bytes);
  } else {
    samples_.push_back(Sample{second, bytes, bytes});
  }
  // The newest sample from before the window stays: it is what the window
  // began with.
  while (samples_.size() >= 2 && samples_[1].second <= at - kWindow) samples_.pop_front();
}

nlohmann::json CommittedHistory::to_json(Clock::time_point now) const {
  nlohmann::json samples = nlohmann::json::array();
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    const Sample& s = samples_[i];
    // Left out: what was replaced before the window began.
    if (i + 1 < samples_.size() && samples_[i + 1].second <= now - kWindow) continue;
    samples.push_back({{"age_ms", std::max(0.0, to_ms(now - s.second))}, {"last_bytes", s.last}, {"peak_bytes", s.peak}});
  }
  return nlohmann::json{{"window_s", std::chrono::duration_cast<std::chrono::seconds>(kWindow).count()},
                        {"resolution_ms", std::chrono::duration_cast<std::chrono::milliseconds>(kResolution).count()},
                        {"samples", std::move(samples)}};
}

}  // namespace hotmem::serve

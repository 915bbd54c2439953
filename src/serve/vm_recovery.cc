#include "serve/vm_recovery.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

namespace hotmem::serve {

std::string_view to_string(VmState state) {
  switch (state) {
    case VmState::kReady: return "ready";
    case VmState::kRecovering: return "recovering";
    case VmState::kCrashLooping: return "crash-looping";
  }
  return "?";
}

VmState VmRecovery::failed(Clock::time_point now, std::string reason) {
  if (state_ == VmState::kCrashLooping) return state_;
  while (!failures_.empty() && now - failures_.front().at > config_.crash_loop_window) failures_.pop_front();
  failures_.push_back({now, std::move(reason)});
  while (failures_.size() > std::max<std::size_t>(config_.crash_loop_failures, 1)) failures_.pop_front();
  if (failures_.size() >= config_.crash_loop_failures) {
    state_ = VmState::kCrashLooping;
    return state_;
  }
  // Doubling once per earlier failure in the window, never past the cap.
  Clock::duration backoff = std::min(config_.backoff_first, config_.backoff_max);
  for (std::size_t i = 1; i < failures_.size() && backoff < config_.backoff_max; ++i) {
    backoff = std::min(backoff * 2, config_.backoff_max);
  }
  state_ = VmState::kRecovering;
  next_attempt_ = now + backoff;
  return state_;
}

void VmRecovery::recovered() {
  if (state_ != VmState::kRecovering) return;
  state_ = VmState::kReady;
  attempts_ = 0;
  ++recoveries_;
}

std::string VmRecovery::summary(Clock::time_point now) const {
  std::string out = fmt::format("{} failure(s) within {:.0f} s:", failures_.size(),
                                to_seconds(config_.crash_loop_window));
  for (const VmFailure& f : failures_) {
    out += fmt::format(" {} ({:.1f} s ago);", f.reason, to_seconds(now - f.at));
  }
  out.pop_back();
  return out;
}

namespace {

std::string utc(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

nlohmann::json VmRecovery::to_json(Clock::time_point now, std::chrono::system_clock::time_point wall_now) const {
  nlohmann::json failures = nlohmann::json::array();
  for (const VmFailure& f : failures_) {
    const auto ago = now - f.at;
    failures.push_back({{"reason", f.reason},
                        {"at", utc(wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(ago))},
                        {"ago_s", to_seconds(ago)}});
  }
  nlohmann::json out{{"attempts", attempts_}, {"recoveries", recoveries_}, {"failures", std::move(failures)}};
  if (state_ == VmState::kRecovering) out["next_attempt_in_s"] = std::max(0.0, to_seconds(next_attempt_ - now));
  return out;
}

}  // namespace hotmem::serve

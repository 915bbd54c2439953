#include "bench/progress.h"

#include <fmt/format.h>

namespace hotmem::bench {
namespace {

std::string clock_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60) : fmt::format("{}m{:02}s", s / 60, s % 60);
}

}  // namespace

void Progress::set_stage(std::string experiment, std::string mode) {
  experiment_ = std::move(experiment);
  mode_ = std::move(mode);
}

std::string Progress::prefix() const {
  const double elapsed = to_ms(Clock::now() - start_) / 1000;
  std::string left = "?";
  if (done_ > 0 && total_ > done_) left = clock_text(elapsed / done_ * (total_ - done_));
  if (total_ > 0 && done_ >= total_) left = "0m00s";
  const int percent = total_ > 0 ? 100 * done_ / total_ : 0;
  return fmt::format("[{} {:>3}% {}/{} left {}] {}{}", clock_text(elapsed), percent, done_, total_, left, experiment_,
                     mode_.empty() ? "" : " / " + mode_);
}

void Progress::note(const std::string& what) { sink_(fmt::format("{}: {}", prefix(), what)); }

void Progress::step(const std::string& what) {
  ++done_;
  note(what);
}

}  // namespace hotmem::bench

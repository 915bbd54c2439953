#include "report/axis.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace hotmem::report {
namespace {

// Bounds the work and the output for absurd inputs; real axes use ~6 ticks.
constexpr int kMaxTicks = 64;

double nice_step(double raw) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return nice * magnitude;
}

double log_base(double value, int base) { return base == 2 ? std::log2(value) : std::log10(value); }

}  // namespace

std::vector<double> nice_linear_ticks(double lo, double hi, int target) {
  const double range = hi - lo;
  if (!std::isfinite(range) || range <= 0) return {lo, hi};
  const double step = nice_step(range / std::max(1, target - 1));
  const double first = std::floor(lo / step);
  const double last = std::ceil(hi / step);
  if (!std::isfinite(first) || !std::isfinite(last) || last - first > kMaxTicks) return {lo, hi};
  std::vector<double> ticks;
  for (double i = first; i <= last; ++i) {
    // i * step rather than a running sum, so 0.1 steps do not drift.
    const double tick = i * step;
    ticks.push_back(std::fabs(tick) < step * 1e-9 ? 0.0 : tick);
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi, int base) {
  // The epsilons keep exact powers (256, 1000) from gaining a power either side.
  // The clamps keep every power a normal, finite double.
  const double max_e = base == 2 ? 1000 : 300;
  double e_lo = std::clamp(std::floor(log_base(lo, base) + 1e-9), -max_e, max_e - 1);
  double e_hi = std::clamp(std::ceil(log_base(hi, base) - 1e-9), -max_e, max_e);
  if (e_hi <= e_lo) e_hi = e_lo + 1;
  const double every = std::max(1.0, std::ceil((e_hi - e_lo) / 12));
  e_hi = e_lo + std::ceil((e_hi - e_lo) / every) * every;
  std::vector<double> ticks;
  for (double e = e_lo; e <= e_hi && ticks.size() < static_cast<std::size_t>(kMaxTicks); e += every) {
    const double power = std::pow(static_cast<double>(base), e);
    ticks.push_back(power);
    if (base == 10 && e_hi - e_lo == 1 && e < e_hi) {
      ticks.push_back(2 * power);
      ticks.push_back(5 * power);
    }
  }
  return ticks;
}

Axis Axis::covering(const std::vector<double>& values, ScaleKind kind, bool include_zero, int target_ticks) {
  std::vector<double> shown;
  for (const double v : values) {
    if (std::isfinite(v) && (kind == ScaleKind::kLinear || v > 0)) shown.push_back(v);
  }
  if (kind != ScaleKind::kLinear && shown.empty()) return covering(values, ScaleKind::kLinear, include_zero, target_ticks);

  if (kind != ScaleKind::kLinear) {
    const auto [min, max] = std::minmax_element(shown.begin(), shown.end());
    double lo = *min;
    double hi = *max;
    const int base = kind == ScaleKind::kLog2 ? 2 : 10;
    // One value: centre it, one power either side.
    if (hi <= lo) {
      lo /= base;
      hi *= base;
    }
    return from_ticks(kind, log_ticks(lo, hi, base));
  }

  double lo = 0;
  double hi = 1;
  if (!shown.empty()) {
    const auto [min, max] = std::minmax_element(shown.begin(), shown.end());
    lo = *min;
    hi = *max;
  }
  if (include_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (hi <= lo) {
    // One value (or all equal): a band of 10% of it either side, or 0-1 at 0.
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    if (include_zero && lo == 0) {
      hi = pad;
    } else {
      lo -= pad;
      hi += pad;
    }
  }
  return from_ticks(kind, nice_linear_ticks(lo, hi, target_ticks));
}

Axis Axis::from_ticks(ScaleKind kind, std::vector<double> ticks) {
  // Both tick functions return at least two ticks; the guard keeps the
  // domain valid should that ever change.
  if (ticks.size() < 2) ticks = {0, 1};
  const double lo = ticks[0];
  const double hi = ticks[ticks.size() - 1];
  return Axis(kind, lo, hi, std::move(ticks));
}

bool Axis::shows(double value) const { return std::isfinite(value) && (kind_ == ScaleKind::kLinear || value > 0); }

double Axis::fraction(double value) const {
  double f = 0;
  if (kind_ == ScaleKind::kLinear) {
    f = (value - lo_) / (hi_ - lo_);
  } else {
    const int base = kind_ == ScaleKind::kLog2 ? 2 : 10;
    f = (log_base(value, base) - log_base(lo_, base)) / (log_base(hi_, base) - log_base(lo_, base));
  }
  return std::isfinite(f) ? std::clamp(f, 0.0, 1.0) : 0.0;
}

}  // namespace hotmem::report

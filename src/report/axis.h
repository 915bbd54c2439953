// The scale of one chart axis and its ticks: linear with "nice" steps (1, 2,
// 2.5 or 5 times a power of ten), or logarithmic with ticks at powers of the
// base.
#pragma once

#include <utility>
#include <vector>

namespace hotmem::report {

enum class ScaleKind { kLinear, kLog2, kLog10 };

class Axis {
 public:
  // An axis covering `values`, ignoring NaN, infinities and, on a log scale,
  // values <= 0. A log scale with nothing positive to show falls back to
  // linear. Equal values (or none) get a range around them, so the domain is
  // never empty. `include_zero` extends a linear domain to 0.
  static Axis covering(const std::vector<double>& values, ScaleKind kind, bool include_zero = false,
                       int target_ticks = 6);

  ScaleKind kind() const { return kind_; }
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  // Ascending, within [lo, hi]; the first is lo and the last hi.
  const std::vector<double>& ticks() const { return ticks_; }

  // Whether `value` can be placed: finite, and positive on a log scale.
  bool shows(double value) const;
  // Where `value` falls, 0 at lo and 1 at hi, clamped to [0, 1]. Only for
  // values the axis shows.
  double fraction(double value) const;

 private:
  static Axis from_ticks(ScaleKind kind, std::vector<double> ticks);
  Axis(ScaleKind kind, double lo, double hi, std::vector<double> ticks)
      : kind_(kind), lo_(lo), hi_(hi), ticks_(std::move(ticks)) {}

  ScaleKind kind_;
  double lo_;
  double hi_;
  std::vector<double> ticks_;
};

// Ticks with a nice step covering [lo, hi] in about `target` steps; the first
// tick is <= lo and the last >= hi. lo < hi, both finite.
std::vector<double> nice_linear_ticks(double lo, double hi, int target);

// Powers of `base` (2 or 10) covering [lo, hi], 0 < lo < hi, at most about a
// dozen (every k-th power when the range is wide). A log10 range of one decade
// also gets 2x and 5x ticks.
std::vector<double> log_ticks(double lo, double hi, int base);

}  // namespace hotmem::report

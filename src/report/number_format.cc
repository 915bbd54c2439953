#include "report/number_format.h"

#include <cmath>

#include <fmt/format.h>

namespace hotmem::report {

std::string format_number(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double a = std::fabs(value);
  if (a < 1e15 && value == std::trunc(value)) return fmt::format("{:.0f}", value);
  if (a >= 1e15) return fmt::format("{:.3g}", value);
  if (a >= 100) return fmt::format("{:.0f}", value);
  return fmt::format("{:.3g}", value);
}

std::string format_tick(double value) {
  if (!std::isfinite(value)) return "n/a";
  if (value == 0) return "0";  // also turns -0 into 0
  const double a = std::fabs(value);
  if (a >= 1e7 || a < 1e-4) return fmt::format("{:.3g}", value);
  return fmt::format("{:.6g}", value);
}

}  // namespace hotmem::report

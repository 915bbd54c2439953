#include "bench/stats.h"

#include <algorithm>
#include <cmath>

namespace hotmem::bench {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const std::size_t index = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size()))) - 1;
  return values[index];
}

Spread spread_of(const std::vector<double>& values) {
  return Spread{median(values), percentile(values, 25), percentile(values, 75)};
}

std::vector<double> paired_differences(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> out;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) out.push_back(a[i] - b[i]);
  return out;
}

void put_spread(nlohmann::json& row, const std::string& key, const Spread& spread) {
  row[key] = spread.median;
  row[key + "_p25"] = spread.p25;
  row[key + "_p75"] = spread.p75;
}

}  // namespace hotmem::bench

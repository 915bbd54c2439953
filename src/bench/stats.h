// Small statistics for benchmark samples.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hotmem::bench {

double median(std::vector<double> values);
// The p-th percentile (0-100), nearest rank.
double percentile(std::vector<double> values, double p);

// Where the samples of one setting lie: the median and the quartiles
// (nearest rank), so a reader can tell a difference from noise.
struct Spread {
  double median = 0;
  double p25 = 0;
  double p75 = 0;
};
Spread spread_of(const std::vector<double>& values);

// Element-wise a[i] - b[i] over the shorter of the two: the paired
// differences of samples taken in the same rounds.
std::vector<double> paired_differences(const std::vector<double>& a, const std::vector<double>& b);

// Adds `<key>`, `<key>_p25` and `<key>_p75` to a result row.
void put_spread(nlohmann::json& row, const std::string& key, const Spread& spread);

}  // namespace hotmem::bench

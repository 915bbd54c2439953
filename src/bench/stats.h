// Small statistics for benchmark samples.
#pragma once

#include <vector>

namespace hotmem::bench {

double median(std::vector<double> values);
// The p-th percentile (0-100), nearest rank.
double percentile(std::vector<double> values, double p);

}  // namespace hotmem::bench

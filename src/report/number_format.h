// How numbers read in the report: table cells and value labels with a
// precision that suits their size, axis ticks without float noise.
#pragma once

#include <string>

namespace hotmem::report {

// Whole numbers as they are (4096, 0); others with about three significant
// digits and no trailing zeros (119, 94.9, 2.2, 0.0123); "n/a" for NaN and
// infinities.
std::string format_number(double value);

// An axis tick: up to six significant digits, so 0.30000000000000004 reads
// 0.3 and 131072 stays whole; very large or small values in e-notation.
std::string format_tick(double value);

}  // namespace hotmem::report

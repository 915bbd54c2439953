// Memory sizes as users write them ("512M", "2GiB", "1024") and as we print them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hotmem {

inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * kKiB;
inline constexpr std::uint64_t kGiB = 1024 * kMiB;

// Parses a size in bytes. A bare number means MiB (as QEMU's -m does);
// suffixes K, M, G, T (optionally followed by "iB" or "B") are binary units.
// Rejects empty, negative, fractional, unknown units and overflow.
Result<std::uint64_t> parse_size(std::string_view text);

// "512 MiB", "2 GiB", "1.5 GiB", "300 KiB", "17 B".
std::string format_size(std::uint64_t bytes);

inline double to_mib(std::uint64_t bytes) { return static_cast<double>(bytes) / kMiB; }

}  // namespace hotmem

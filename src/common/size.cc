#include "common/size.h"

#include <cctype>
#include <limits>

#include <fmt/format.h>

namespace hotmem {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return Error(fmt::format("invalid size '{}': {} (write e.g. 512M, 2G or 1536MiB)", text, why));
  };
  if (text.empty()) return invalid("empty");
  std::size_t i = 0;
  std::uint64_t number = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    const std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
    if (number > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return invalid("too large");
    number = number * 10 + digit;
    ++i;
  }
  if (i == 0) return invalid("it must start with a whole number");
  const std::string unit = lower(text.substr(i));
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "m" || unit == "mb" || unit == "mib") {
    scale = kMiB;
  } else if (unit == "b") {
    scale = 1;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    scale = kKiB;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    scale = kGiB;
  } else if (unit == "t" || unit == "tb" || unit == "tib") {
    scale = 1024 * kGiB;
  } else {
    return invalid(fmt::format("unknown unit '{}'", text.substr(i)));
  }
  if (number > std::numeric_limits<std::uint64_t>::max() / scale) return invalid("too large");
  return number * scale;
}

std::string format_size(std::uint64_t bytes) {
  struct Unit {
    std::uint64_t scale;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{1024 * kGiB, "TiB"}, {kGiB, "GiB"}, {kMiB, "MiB"}, {kKiB, "KiB"}};
  for (const Unit& u : kUnits) {
    if (bytes >= u.scale) {
      if (bytes % u.scale == 0) return fmt::format("{} {}", bytes / u.scale, u.name);
      return fmt::format("{:.1f} {}", static_cast<double>(bytes) / static_cast<double>(u.scale), u.name);
    }
  }
  return fmt::format("{} B", bytes);
}

}  // namespace hotmem

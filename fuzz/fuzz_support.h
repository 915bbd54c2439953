// What the fuzz targets share: an invariant check that stops the run (so
// libFuzzer keeps the input), and a deterministic split of an input into the
// pieces a stream decoder is fed, as a socket would deliver them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

// Like assert, but never compiled out: a broken invariant is a finding.
#define HOTMEM_FUZZ_CHECK(condition)                                                               \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #condition);     \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

namespace hotmem::fuzz {

// Splits `input` into pieces of 1 to 64 bytes whose sizes follow from a hash
// of the input, so every input is its own stream (seeds stay valid messages)
// and a failure reproduces from the input alone.
inline std::vector<std::string_view> pieces(std::string_view input) {
  std::uint64_t state = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : input) state = (state ^ c) * 1099511628211ull;
  std::vector<std::string_view> out;
  while (!input.empty()) {
    state ^= state << 13;  // xorshift64
    state ^= state >> 7;
    state ^= state << 17;
    // Single bytes half the time: they cut every header and token somewhere.
    const std::size_t size = (state & 1) ? 1 : 1 + (state >> 1) % 64;
    out.push_back(input.substr(0, size));
    input.remove_prefix(out.back().size());
  }
  return out;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace hotmem::fuzz

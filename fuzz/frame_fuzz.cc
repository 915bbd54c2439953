// The control channel's frame codec (protocol/frame.h) on a byte stream from
// the guest. Invariants, for the default limit and a small one:
// - fed at once or in pieces (draining in between), the decoder yields the
//   same frames and the same verdict;
// - the frames, encoded again, are exactly the bytes consumed;
// - no frame exceeds the limit; what is left pending holds no whole frame;
// - a failure stands exactly where a header breaks the format;
// - decode(encode(payload)) is the payload.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "protocol/frame.h"

namespace hotmem::protocol {
namespace {

using fuzz::pieces;

std::size_t payload_length(std::string_view header) {
  std::size_t n = 0;
  for (std::size_t i = 4; i < kHeaderSize; ++i) n = (n << 8) | static_cast<unsigned char>(header[i]);
  return n;
}

// The header format as frame.h states it, read independently of the decoder.
bool header_valid(std::string_view header, std::size_t max_payload) {
  return header[0] == 'H' && header[1] == 'M' && static_cast<unsigned char>(header[2]) == kProtocolVersion &&
         header[3] == '\0' && payload_length(header) <= max_payload;
}

void drain(FrameDecoder& decoder, std::vector<std::string>& into) {
  while (auto frame = decoder.next()) into.push_back(std::move(*frame));
}

void check_stream(std::string_view input, std::size_t max_payload) {
  FrameDecoder whole(max_payload);
  const bool whole_ok = whole.feed(input).ok();
  HOTMEM_FUZZ_CHECK(whole.failed() == !whole_ok);
  std::vector<std::string> frames;
  drain(whole, frames);

  FrameDecoder split(max_payload);
  bool split_ok = true;
  std::vector<std::string> split_frames;
  for (std::string_view piece : pieces(input)) {
    split_ok = split.feed(piece).ok() && split_ok;
    drain(split, split_frames);
  }
  HOTMEM_FUZZ_CHECK(split_ok == whole_ok);
  HOTMEM_FUZZ_CHECK(split_frames == frames);

  std::string consumed;
  for (const std::string& frame : frames) {
    HOTMEM_FUZZ_CHECK(frame.size() <= max_payload);
    consumed += encode_frame(frame);
  }
  HOTMEM_FUZZ_CHECK(input.substr(0, consumed.size()) == consumed);
  const std::string_view rest = input.substr(consumed.size());
  if (whole_ok) {
    HOTMEM_FUZZ_CHECK(whole.pending_bytes() == rest.size());
    HOTMEM_FUZZ_CHECK(split.pending_bytes() == rest.size());
    if (rest.size() >= kHeaderSize) {
      HOTMEM_FUZZ_CHECK(header_valid(rest, max_payload));
      HOTMEM_FUZZ_CHECK(rest.size() < kHeaderSize + payload_length(rest));
    }
  } else {
    HOTMEM_FUZZ_CHECK(rest.size() >= kHeaderSize && !header_valid(rest, max_payload));
    // A failed decoder stays failed and yields nothing more.
    HOTMEM_FUZZ_CHECK(!whole.feed(encode_frame("{}")).ok());
    HOTMEM_FUZZ_CHECK(!whole.next().has_value());
  }
}

}  // namespace
}  // namespace hotmem::protocol

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotmem::protocol;
  const std::string_view input = hotmem::fuzz::as_text(data, size);
  check_stream(input, kDefaultMaxPayload);
  check_stream(input, size % 64);

  FrameDecoder decoder;
  HOTMEM_FUZZ_CHECK(decoder.feed(encode_frame(input)).ok());
  const auto frame = decoder.next();
  HOTMEM_FUZZ_CHECK(frame.has_value() && *frame == input);
  HOTMEM_FUZZ_CHECK(!decoder.next().has_value() && decoder.pending_bytes() == 0);
  return 0;
}

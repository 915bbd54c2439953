// The wire format of HotMem's control channels (host <-> guest agent, and
// host tools <-> `hotmem vm` supervisors): length-delimited frames.
//
//   offset 0  2 bytes  magic "HM"
//          2  1 byte   protocol version (kProtocolVersion)
//          3  1 byte   reserved, must be 0
//          4  4 bytes  payload length, big-endian
//          8  ...      payload (a JSON object, see messages.h)
//
// The decoder is incremental and strict: a bad magic, an unknown version, a
// non-zero reserved byte or a length above the limit poisons the stream
// (there is no resynchronisation on an untrusted channel).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hotmem::protocol {

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kDefaultMaxPayload = 1 << 20;  // 1 MiB

// Header plus payload, ready to write.
std::string encode_frame(std::string_view payload);

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_payload = kDefaultMaxPayload) : max_payload_(max_payload) {}

  // Appends received bytes. Returns an error (and stays failed) on a
  // malformed header; complete frames are queued for next().
  Status feed(std::string_view bytes);
  // The next complete payload, if any.
  std::optional<std::string> next();

  bool failed() const { return failure_.has_value(); }
  // Bytes of an incomplete frame still waiting for the rest.
  std::size_t pending_bytes() const { return buffer_.size(); }

 private:
  Status parse();

  std::size_t max_payload_;
  std::string buffer_;
  std::deque<std::string> frames_;
  std::optional<Error> failure_;
};

}  // namespace hotmem::protocol

#include "protocol/frame.h"

#include <fmt/format.h>

namespace hotmem::protocol {
namespace {

constexpr char kMagic0 = 'H';
constexpr char kMagic1 = 'M';

}  // namespace

std::string encode_frame(std::string_view payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  out += kMagic0;
  out += kMagic1;
  out += static_cast<char>(kProtocolVersion);
  out += '\0';
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
  out += payload;
  return out;
}

Status FrameDecoder::feed(std::string_view bytes) {
  if (failure_) return *failure_;
  buffer_.append(bytes);
  Status s = parse();
  if (!s) failure_ = s.error();
  return s;
}

Status FrameDecoder::parse() {
  std::size_t pos = 0;
  while (buffer_.size() - pos >= kHeaderSize) {
    const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + pos);
    if (h[0] != static_cast<unsigned char>(kMagic0) || h[1] != static_cast<unsigned char>(kMagic1)) {
      return Error(fmt::format("bad frame magic {:#04x} {:#04x}", h[0], h[1]));
    }
    if (h[2] != kProtocolVersion) {
      return Error(fmt::format("unsupported protocol version {} (this side speaks {})", h[2], kProtocolVersion));
    }
    if (h[3] != 0) return Error(fmt::format("reserved header byte is {:#04x}, must be 0", h[3]));
    const std::size_t length = (std::size_t{h[4]} << 24) | (std::size_t{h[5]} << 16) |
                               (std::size_t{h[6]} << 8) | std::size_t{h[7]};
    if (length > max_payload_) {
      return Error(fmt::format("oversized frame: {} bytes, limit {}", length, max_payload_));
    }
    if (buffer_.size() - pos - kHeaderSize < length) break;
    frames_.emplace_back(buffer_, pos + kHeaderSize, length);
    pos += kHeaderSize + length;
  }
  buffer_.erase(0, pos);
  return ok_status();
}

std::optional<std::string> FrameDecoder::next() {
  if (frames_.empty()) return std::nullopt;
  std::string f = std::move(frames_.front());
  frames_.pop_front();
  return f;
}

}  // namespace hotmem::protocol

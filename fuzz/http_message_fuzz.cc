// The HTTP reader (protocol/http_message.h) on what an instance sends, as a
// response and as a request, with the default limit and a small one.
// Invariants:
// - fed at once or in pieces, then finished, the reader reaches the same
//   verdict and, when it succeeds, the same message;
// - a complete message stays within the limit; a response's status has at
//   most three digits;
// - what format_response / format_request write reads back unchanged, with
//   the input as the body.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "protocol/http_message.h"

namespace hotmem::protocol {
namespace {

struct Outcome {
  bool ok = true;
  bool complete = false;
  HttpMessage message;

  // What a failed reader holds is partial, and where it stopped depends on
  // how the bytes came: only a complete message is compared.
  bool operator==(const Outcome& o) const {
    if (ok != o.ok || complete != o.complete) return false;
    return !complete || (message.method == o.message.method && message.target == o.message.target &&
                         message.status == o.message.status && message.body == o.message.body);
  }
};

Outcome read_whole(HttpReader::Kind kind, std::size_t max_bytes, std::string_view input) {
  HttpReader reader(kind, max_bytes);
  Outcome out;
  out.ok = reader.feed(input).ok() && reader.finish().ok();
  out.complete = reader.complete();
  out.message = reader.message();
  return out;
}

Outcome read_pieces(HttpReader::Kind kind, std::size_t max_bytes, std::string_view input) {
  HttpReader reader(kind, max_bytes);
  Outcome out;
  for (std::string_view piece : fuzz::pieces(input)) {
    // The agent stops reading at the first error.
    if (!(out.ok = reader.feed(piece).ok())) break;
  }
  out.ok = out.ok && reader.finish().ok();
  out.complete = reader.complete();
  out.message = reader.message();
  return out;
}

void check(HttpReader::Kind kind, std::size_t max_bytes, std::string_view input) {
  const Outcome whole = read_whole(kind, max_bytes, input);
  // Finished, a reader has either read a whole message or failed.
  HOTMEM_FUZZ_CHECK(whole.ok == whole.complete);
  if (whole.complete) {
    HOTMEM_FUZZ_CHECK(whole.message.body.size() <= max_bytes && whole.message.target.size() <= max_bytes);
    if (kind == HttpReader::Kind::kResponse) {
      HOTMEM_FUZZ_CHECK(whole.message.status >= 0 && whole.message.status <= 999);
    } else {
      HOTMEM_FUZZ_CHECK(!whole.message.method.empty());
    }
  }
  // The size limit counts the bytes fed, and pieces after a complete message
  // are not counted: past the limit's allowance the two ways may differ.
  if (input.size() <= max_bytes + 64 * 1024) HOTMEM_FUZZ_CHECK(read_pieces(kind, max_bytes, input) == whole);
}

// `status` carries a body (not 1xx, 204 or 304, which HTTP says have none).
void check_round_trip(std::string_view body, int status) {
  const Outcome response = read_whole(HttpReader::Kind::kResponse, HttpReader::kDefaultMaxBytes,
                                      format_response(status, body));
  HOTMEM_FUZZ_CHECK(response.ok && response.complete);
  HOTMEM_FUZZ_CHECK(response.message.status == status && response.message.body == body);

  const Outcome request = read_whole(HttpReader::Kind::kRequest, HttpReader::kDefaultMaxBytes,
                                     format_request("POST", "/run", body));
  HOTMEM_FUZZ_CHECK(request.ok && request.complete);
  HOTMEM_FUZZ_CHECK(request.message.method == "POST" && request.message.target == "/run" &&
                    request.message.body == body);
}

}  // namespace
}  // namespace hotmem::protocol

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotmem::protocol;
  const std::string_view input = hotmem::fuzz::as_text(data, size);
  for (auto kind : {HttpReader::Kind::kResponse, HttpReader::Kind::kRequest}) {
    check(kind, HttpReader::kDefaultMaxBytes, input);
    check(kind, 16, input);
  }
  const int status = 200 + static_cast<int>(size % 400);
  if (status != 204 && status != 304) check_round_trip(input, status);
  return 0;
}

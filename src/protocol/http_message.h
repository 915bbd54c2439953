// HTTP/1.1 messages between the guest agent and the instances it runs (the
// OpenWhisk action protocol: POST /init, POST /run). The guest agent is a
// static binary and Debian's cpp-httplib is a shared library only, so the
// agent parses with Debian's http-parser (libhttp-parser-dev, static) and
// formats the few messages it sends itself.
//
// An instance is untrusted code: every message is bounded (headers and body)
// and a malformed one is an Error, never a crash.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hotmem::protocol {

struct HttpMessage {
  // Requests.
  std::string method;
  std::string target;
  // Responses.
  int status = 0;
  std::string body;
};

// Reads one HTTP request or response from a byte stream fed in pieces.
class HttpReader {
 public:
  enum class Kind { kRequest, kResponse };
  static constexpr std::size_t kDefaultMaxBytes = 8 * 1024 * 1024;

  explicit HttpReader(Kind kind, std::size_t max_bytes = kDefaultMaxBytes);
  ~HttpReader();
  HttpReader(HttpReader&&) noexcept;
  HttpReader& operator=(HttpReader&&) noexcept;

  // Feeds bytes; an error when they are not HTTP or exceed the limit.
  Status feed(std::string_view bytes);
  // The peer closed its end: a response without Content-Length ends here.
  Status finish();
  bool complete() const;
  const HttpMessage& message() const;

  struct State;  // the parser's, opaque

 private:
  std::unique_ptr<State> state_;
};

// "POST /run HTTP/1.1" with a JSON body, closing the connection afterwards.
std::string format_request(std::string_view method, std::string_view target, std::string_view json_body);
// A JSON response, closing the connection afterwards.
std::string format_response(int status, std::string_view json_body);

}  // namespace hotmem::protocol

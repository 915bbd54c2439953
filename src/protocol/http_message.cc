#include "protocol/http_message.h"

#include <http_parser.h>

#include <fmt/format.h>

namespace hotmem::protocol {

struct HttpReader::State {
  http_parser parser{};
  http_parser_settings settings{};
  HttpMessage message;
  std::size_t max_bytes = 0;
  std::size_t seen = 0;
  bool complete = false;
  bool too_big = false;
};

namespace {

HttpReader::State& state_of(http_parser* parser) { return *static_cast<HttpReader::State*>(parser->data); }

// Appends a piece of the message, refusing to grow past the limit.
int append(http_parser* parser, std::string& to, const char* at, std::size_t length) {
  auto& s = state_of(parser);
  if (to.size() + length > s.max_bytes) {
    s.too_big = true;
    return 1;
  }
  to.append(at, length);
  return 0;
}

}  // namespace

HttpReader::HttpReader(Kind kind, std::size_t max_bytes) : state_(std::make_unique<State>()) {
  http_parser_init(&state_->parser, kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE);
  state_->parser.data = state_.get();
  state_->max_bytes = max_bytes;
  http_parser_settings_init(&state_->settings);
  state_->settings.on_url = [](http_parser* p, const char* at, std::size_t n) {
    return append(p, state_of(p).message.target, at, n);
  };
  state_->settings.on_body = [](http_parser* p, const char* at, std::size_t n) {
    return append(p, state_of(p).message.body, at, n);
  };
  state_->settings.on_headers_complete = [](http_parser* p) {
    auto& s = state_of(p);
    if (p->type == HTTP_REQUEST) s.message.method = http_method_str(static_cast<http_method>(p->method));
    s.message.status = static_cast<int>(p->status_code);
    return 0;
  };
  state_->settings.on_message_complete = [](http_parser* p) {
    state_of(p).complete = true;
    // Stop here: one message per connection.
    http_parser_pause(p, 1);
    return 0;
  };
}

HttpReader::~HttpReader() = default;
HttpReader::HttpReader(HttpReader&&) noexcept = default;
HttpReader& HttpReader::operator=(HttpReader&&) noexcept = default;

Status HttpReader::feed(std::string_view bytes) {
  State& s = *state_;
  if (s.complete) return ok_status();  // bytes after the message are ignored
  s.seen += bytes.size();
  // Headers count too: a peer that never ends its headers is cut off here.
  if (s.seen > s.max_bytes + 64 * 1024) return Error(fmt::format("HTTP message larger than {} bytes", s.max_bytes));
  http_parser_execute(&s.parser, &s.settings, bytes.data(), bytes.size());
  const auto err = HTTP_PARSER_ERRNO(&s.parser);
  if (s.too_big) return Error(fmt::format("HTTP message body larger than {} bytes", s.max_bytes));
  if (s.parser.upgrade) {
    // http-parser may have completed the message before the upgrade: a
    // refused message is not complete, so finish() cannot accept it later.
    s.complete = false;
    return Error("malformed HTTP: protocol upgrade is not supported");
  }
  if (err == HPE_PAUSED && s.complete) return ok_status();
  if (err != HPE_OK) return Error(fmt::format("malformed HTTP: {}", http_errno_description(err)));
  return ok_status();
}

Status HttpReader::finish() {
  if (state_->complete) return ok_status();
  // An empty read tells the parser the stream ended (a response body
  // delimited by the connection closing completes here).
  if (Status s = feed(std::string_view()); !s) return s;
  if (!state_->complete) return Error("the connection closed before the HTTP message was complete");
  return ok_status();
}

bool HttpReader::complete() const { return state_->complete; }
const HttpMessage& HttpReader::message() const { return state_->message; }

std::string format_request(std::string_view method, std::string_view target, std::string_view json_body) {
  return fmt::format(
      "{} {} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      method, target, json_body.size(), json_body);
}

std::string format_response(int status, std::string_view json_body) {
  const char* reason = http_status_str(static_cast<http_status>(status));
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, reason, json_body.size(), json_body);
}

}  // namespace hotmem::protocol

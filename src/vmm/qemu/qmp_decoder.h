// QMP wire parsing: QEMU sends one JSON object per line (greeting, command
// return, command error or asynchronous event). Pure logic, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hotmem::vmm::qemu {

using nlohmann::json;

struct QmpGreeting {
  json version;
};
struct QmpReturn {
  std::optional<std::uint64_t> id;
  json value;
};
struct QmpError {
  std::optional<std::uint64_t> id;
  std::string error_class;
  std::string description;
};
struct QmpEvent {
  std::string name;
  json data;
  // When QEMU built the event (its "timestamp", the host's real-time clock).
  // A throttled event is sent late but keeps this time.
  std::optional<std::chrono::system_clock::time_point> timestamp;
};

using QmpMessage = std::variant<QmpGreeting, QmpReturn, QmpError, QmpEvent>;

// Classifies one decoded line.
Result<QmpMessage> parse_qmp_message(std::string_view line);

class QmpDecoder {
 public:
  static constexpr std::size_t kMaxLine = 16 << 20;

  // Appends bytes; an over-long line is an error. Looks at each byte once.
  Status feed(std::string_view bytes);
  // The next complete line, parsed, if any.
  std::optional<Result<QmpMessage>> next();

 private:
  std::string buffer_;
  std::size_t read_ = 0;     // buffer_ before this was handed out by next()
  std::size_t partial_ = 0;  // length of the unfinished last line
};

}  // namespace hotmem::vmm::qemu

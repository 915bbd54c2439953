#include "vmm/qemu/qmp_decoder.h"

#include <fmt/format.h>

#include "protocol/messages.h"

namespace hotmem::vmm::qemu {
namespace {

std::optional<std::uint64_t> message_id(const json& j) {
  auto it = j.find("id");
  if (it != j.end() && it->is_number_unsigned()) return it->get<std::uint64_t>();
  return std::nullopt;
}

// {"seconds": S, "microseconds": U}; QEMU writes -1 for both when it has no
// time, which is no timestamp, as is anything else malformed.
std::optional<std::chrono::system_clock::time_point> event_timestamp(const json& j) {
  auto it = j.find("timestamp");
  if (it == j.end() || !it->is_object()) return std::nullopt;
  auto s = it->find("seconds");
  auto us = it->find("microseconds");
  if (s == it->end() || us == it->end() || !s->is_number_unsigned() || !us->is_number_unsigned()) {
    return std::nullopt;
  }
  const auto seconds = s->get<std::uint64_t>();
  const auto micros = us->get<std::uint64_t>();
  if (micros >= 1'000'000 || seconds > (std::uint64_t{1} << 40)) return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(seconds) + std::chrono::microseconds(micros)));
}

}  // namespace

Result<QmpMessage> parse_qmp_message(std::string_view line) {
  auto parsed = protocol::parse_object(line);
  if (!parsed) return parsed.error().context("QMP");
  const json& j = *parsed;
  if (auto it = j.find("return"); it != j.end()) return QmpMessage{QmpReturn{message_id(j), *it}};
  if (auto it = j.find("error"); it != j.end()) {
    if (!it->is_object()) return Error("QMP: 'error' is not an object");
    QmpError e{message_id(j), "", ""};
    if (auto c = it->find("class"); c != it->end() && c->is_string()) e.error_class = c->get<std::string>();
    if (auto d = it->find("desc"); d != it->end() && d->is_string()) e.description = d->get<std::string>();
    return QmpMessage{std::move(e)};
  }
  if (auto it = j.find("event"); it != j.end()) {
    if (!it->is_string()) return Error("QMP: 'event' is not a string");
    auto data = j.find("data");
    return QmpMessage{QmpEvent{it->get<std::string>(), data == j.end() ? json::object() : *data, event_timestamp(j)}};
  }
  if (auto it = j.find("QMP"); it != j.end()) {
    auto v = it->find("version");
    return QmpMessage{QmpGreeting{v == it->end() ? json() : *v}};
  }
  return Error(fmt::format("QMP: unrecognised message {}", std::string(line.substr(0, 200))));
}

Status QmpDecoder::feed(std::string_view bytes) {
  buffer_.append(bytes);
  // Every line, complete or not, must fit the limit.
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = bytes.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? bytes.size() : nl;
    partial_ += end - start;
    if (partial_ > kMaxLine) return Error(fmt::format("QMP: line longer than {} bytes", kMaxLine));
    if (nl == std::string_view::npos) return ok_status();
    partial_ = 0;
    start = nl + 1;
  }
}

std::optional<Result<QmpMessage>> QmpDecoder::next() {
  for (;;) {
    const std::size_t nl = buffer_.find('\n', read_);
    if (nl == std::string::npos) {
      // Drop what was handed out once nothing complete is left.
      buffer_.erase(0, read_);
      read_ = 0;
      return std::nullopt;
    }
    std::string_view line(buffer_.data() + read_, nl - read_);
    read_ = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    return parse_qmp_message(line);
  }
}

}  // namespace hotmem::vmm::qemu

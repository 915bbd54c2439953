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
    return QmpMessage{QmpEvent{it->get<std::string>(), data == j.end() ? json::object() : *data}};
  }
  if (auto it = j.find("QMP"); it != j.end()) {
    auto v = it->find("version");
    return QmpMessage{QmpGreeting{v == it->end() ? json() : *v}};
  }
  return Error(fmt::format("QMP: unrecognised message {}", std::string(line.substr(0, 200))));
}

Status QmpDecoder::feed(std::string_view bytes) {
  buffer_.append(bytes);
  // Every line in the buffer, complete or not, must fit the limit.
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = buffer_.find('\n', start);
    const std::size_t end = nl == std::string::npos ? buffer_.size() : nl;
    if (end - start > kMaxLine) return Error(fmt::format("QMP: line longer than {} bytes", kMaxLine));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return ok_status();
}

std::optional<Result<QmpMessage>> QmpDecoder::next() {
  for (;;) {
    const std::size_t nl = buffer_.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    std::string line = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    return parse_qmp_message(line);
  }
}

}  // namespace hotmem::vmm::qemu

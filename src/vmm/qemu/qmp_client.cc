#include "vmm/qemu/qmp_client.h"

#include <array>

#include <fmt/format.h>

#include "common/socket.h"

namespace hotmem::vmm::qemu {

Result<std::unique_ptr<QmpClient>> QmpClient::connect(const std::filesystem::path& socket, Deadline deadline,
                                                      const std::function<bool()>& alive) {
  auto fd = connect_unix(socket, deadline, alive);
  if (!fd) return fd.error().context("QMP");
  std::unique_ptr<QmpClient> client(new QmpClient(std::move(*fd)));
  auto greeting = client->read_message(deadline);
  if (!greeting) return greeting.error().context("QMP greeting");
  if (!std::holds_alternative<QmpGreeting>(*greeting)) return Error("QMP: expected a greeting first");
  auto caps = client->execute("qmp_capabilities", json::object(), deadline.remaining());
  if (!caps) return caps.error();
  return client;
}

Status QmpClient::read_into_decoder(const Deadline& deadline) {
  std::array<char, 16384> buf;
  auto n = read_some(fd_.get(), buf, deadline);
  if (!n) return n.error();
  if (*n == 0) return Error("QEMU closed the QMP connection");
  return decoder_.feed(std::string_view(buf.data(), *n));
}

Result<QmpMessage> QmpClient::read_message(const Deadline& deadline) {
  for (;;) {
    if (auto m = decoder_.next()) return std::move(*m);
    if (Status s = read_into_decoder(deadline); !s) return s.error();
  }
}

void QmpClient::keep(QmpEvent event) {
  if (events_.size() >= kMaxQueuedEvents) events_.pop_front();
  events_.push_back(std::move(event));
}

Result<json> QmpClient::execute(const std::string& command, const json& arguments, Clock::duration timeout) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  json request{{"execute", command}, {"id", id}};
  if (!arguments.empty()) request["arguments"] = arguments;
  Deadline deadline(timeout);
  Status sent = write_all(fd_.get(), request.dump() + "\n", deadline);
  if (!sent) return sent.error().context(fmt::format("QMP {}", command));
  for (;;) {
    auto message = read_message(deadline);
    if (!message) return message.error().context(fmt::format("QMP {}", command));
    if (auto* event = std::get_if<QmpEvent>(&*message)) {
      keep(std::move(*event));
      continue;
    }
    if (auto* ret = std::get_if<QmpReturn>(&*message); ret && ret->id == id) return std::move(ret->value);
    if (auto* err = std::get_if<QmpError>(&*message); err && err->id == id) {
      return Error(fmt::format("QMP {} failed: {} ({})", command, err->description, err->error_class));
    }
    // A reply to an earlier command that timed out: skip it.
  }
}

std::vector<QmpEvent> QmpClient::take_events() {
  std::lock_guard lock(mutex_);
  std::vector<QmpEvent> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

Status QmpClient::read_events(const Deadline& deadline) {
  std::lock_guard lock(mutex_);
  for (;;) {
    while (auto message = decoder_.next()) {
      if (!*message) return message->error().context("QMP");
      // Anything but an event is a reply to a command that timed out.
      if (auto* event = std::get_if<QmpEvent>(&**message)) keep(std::move(*event));
    }
    auto readable = wait_readable(fd_.get(), deadline);
    if (!readable) return readable.error().context("QMP");
    if (!*readable) return ok_status();
    if (Status s = read_into_decoder(deadline); !s) return s.error().context("QMP");
  }
}

}  // namespace hotmem::vmm::qemu

// A QMP connection: capabilities negotiation, commands with ids matched to
// their replies, and asynchronous events kept aside (bounded) for whoever
// wants them. Thread-safe: commands are serialised.
#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/qemu/qmp_decoder.h"

namespace hotmem::vmm::qemu {

class QmpClient {
 public:
  static constexpr std::size_t kMaxQueuedEvents = 1024;

  // Connects (retrying until the socket appears), reads the greeting and
  // enters command mode. `alive` lets the wait end when QEMU has died.
  static Result<std::unique_ptr<QmpClient>> connect(const std::filesystem::path& socket, Deadline deadline,
                                                    const std::function<bool()>& alive);

  // Runs a command and returns its "return" value; a QMP error becomes an
  // Error with QEMU's class and description.
  Result<json> execute(const std::string& command, const json& arguments = json::object(),
                       Clock::duration timeout = std::chrono::seconds(10));

  // Events received so far (oldest first), removed from the queue.
  std::vector<QmpEvent> take_events();
  // Reads what QEMU sends until the deadline (events are queued), without
  // a command; commands of other threads wait meanwhile, so keep it short.
  Status read_events(const Deadline& deadline);

 private:
  explicit QmpClient(UniqueFd fd) : fd_(std::move(fd)) {}
  Result<QmpMessage> read_message(const Deadline& deadline);
  // Reads once from the socket into the decoder.
  Status read_into_decoder(const Deadline& deadline);
  void keep(QmpEvent event);

  std::mutex mutex_;
  UniqueFd fd_;
  QmpDecoder decoder_;
  std::uint64_t next_id_ = 1;
  std::deque<QmpEvent> events_;
};

}  // namespace hotmem::vmm::qemu

#include "host/agent_client.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/socket.h"
#include "protocol/frame.h"
#include "protocol/messages.h"

namespace hotmem::host {
namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(5);
constexpr auto kPingInterval = std::chrono::milliseconds(500);

}  // namespace

Result<std::unique_ptr<AgentClient>> AgentClient::connect(const std::filesystem::path& socket, Deadline deadline) {
  auto fd = connect_unix(socket, deadline);
  if (!fd) return fd.error().context("agent channel");
  return std::make_unique<AgentClient>(std::move(*fd));
}

AgentClient::AgentClient(UniqueFd fd) : fd_(std::move(fd)) {
  reader_ = std::thread([this] { read_loop(); });
}

AgentClient::~AgentClient() {
  ::shutdown(fd_.get(), SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
}

std::optional<std::string> AgentClient::broken() const {
  std::lock_guard lock(mutex_);
  return broken_;
}

void AgentClient::fail_all(const std::string& reason) {
  std::lock_guard lock(mutex_);
  if (!broken_) broken_ = reason;
  for (auto& [id, promise] : pending_) {
    promise.set_value(Error(ErrorCode::kUnavailable, "agent channel broken: " + reason));
  }
  pending_.clear();
}

void AgentClient::read_loop() {
  protocol::FrameDecoder decoder;
  std::array<char, 65536> buf;
  for (;;) {
    auto n = read_some(fd_.get(), buf, Deadline(std::chrono::hours(24 * 365)));
    if (!n) return fail_all(n.error().message());
    if (*n == 0) return fail_all("the channel was closed");
    if (Status s = decoder.feed(std::string_view(buf.data(), *n)); !s) {
      return fail_all("guest sent a malformed frame: " + s.error().message());
    }
    while (auto payload = decoder.next()) {
      auto response = protocol::decode_response(*payload);
      if (!response) return fail_all("guest sent a malformed message: " + response.error().message());
      std::lock_guard lock(mutex_);
      auto it = pending_.find(response->id);
      if (it == pending_.end()) {
        if (response->id == 0 || response->id >= next_id_) {
          broken_ = fmt::format("guest answered request {} that was never sent", response->id);
        }
        // Otherwise a late answer to a call that timed out: drop it.
        if (broken_) break;
        continue;
      }
      if (response->ok) {
        it->second.set_value(std::move(response->body));
      } else {
        it->second.set_value(Error(response->error.empty() ? "the agent reported an error" : response->error));
      }
      pending_.erase(it);
    }
    if (broken()) return fail_all(*broken());
  }
}

Result<json> AgentClient::call(const std::string& type, const json& body, Clock::duration timeout) {
  std::uint64_t id;
  std::future<Result<json>> answer;
  {
    std::lock_guard lock(mutex_);
    if (broken_) return Error(ErrorCode::kUnavailable, "agent channel broken: " + *broken_);
    id = next_id_++;
    answer = pending_[id].get_future();
  }
  const std::string frame = protocol::encode_frame(protocol::encode_request({id, type, body}));
  Status sent;
  {
    std::lock_guard lock(write_mutex_);
    sent = write_all(fd_.get(), frame, Deadline(kWriteTimeout));
  }
  if (sent && answer.wait_for(timeout) == std::future_status::ready) {
    auto result = answer.get();
    if (!result) return result.error().context(type);
    return result;
  }
  {
    std::lock_guard lock(mutex_);
    pending_.erase(id);
  }
  if (!sent) return sent.error().with_code(ErrorCode::kUnavailable).context(fmt::format("send {} to the agent", type));
  return Error(ErrorCode::kUnavailable,
               fmt::format("the agent did not answer {} within {:.0f} ms", type, to_ms(timeout)));
}

Result<AgentInfo> AgentClient::ping(Clock::duration timeout) { return call(protocol::Ping{}, timeout); }

Result<AgentInfo> AgentClient::wait_ready(Deadline deadline, const std::function<bool()>& alive) {
  Error last("no answer yet");
  while (!deadline.expired()) {
    if (alive && !alive()) return Error(ErrorCode::kUnavailable, "the VM stopped before its agent answered");
    auto info = ping(std::min<Clock::duration>(kPingInterval, deadline.remaining()));
    if (info) return info;
    last = info.error();
    if (broken()) break;
  }
  return last.context("waiting for the guest agent");
}

Result<protocol::GuestMemoryReport> AgentClient::memory_report(Clock::duration timeout) {
  auto report = call(protocol::MemoryReport{}, timeout);
  if (!report && report.error().code() == ErrorCode::kGuestMisbehaved) {
    return report.error().context("memory report from the guest");
  }
  return report;
}

Result<std::int64_t> AgentClient::start_instance(const protocol::InstanceStart& start) {
  auto started = call(start, start.ready_timeout + std::chrono::seconds(10));
  if (!started) return started.error();
  return started->pid;
}

Result<InstanceEnd> AgentClient::stop_instance(const std::string& name, Clock::duration grace,
                                               Clock::duration timeout) {
  return call(protocol::InstanceStop{name, grace}, timeout);
}

Result<std::vector<InstanceStatus>> AgentClient::list_instances(Clock::duration timeout) {
  auto listing = call(protocol::InstanceList{}, timeout);
  if (!listing) return listing.error();
  return std::move(listing->instances);
}

Status AgentClient::signal_instance(const std::string& name, const std::string& signal) {
  auto done = call(protocol::InstanceSignal{name, signal}, std::chrono::seconds(10));
  if (!done) return done.error();
  return ok_status();
}

Status AgentClient::offline_node(int node, Clock::duration timeout) {
  // The agent answers by its own deadline; the slack covers carrying the
  // answer back, and stays small so a caller's budget is kept.
  const auto slack = std::clamp<Clock::duration>(timeout / 4, std::chrono::seconds(1), std::chrono::seconds(5));
  auto offline = call(protocol::OfflineNode{node, timeout}, timeout + slack);
  if (!offline) return offline.error();
  return ok_status();
}

Result<NodeCleared> AgentClient::clear_node(int node, Clock::duration timeout) {
  return call(protocol::ClearNode{node, timeout}, timeout + std::chrono::seconds(5));
}

Result<std::uint64_t> AgentClient::preload(const std::vector<std::string>& paths, Clock::duration timeout) {
  auto preloaded = call(protocol::Preload{paths}, timeout);
  if (!preloaded) return preloaded.error();
  return preloaded->bytes;
}

Result<ActionAnswer> AgentClient::invoke(const std::string& name, int port, const std::string& path,
                                         const std::string& body, Clock::duration timeout, std::size_t log_bytes) {
  // The agent's own deadline comes first, so its answer says what was slow
  // (its wait for the action's logs after the answer included).
  return call(protocol::Invoke{name, port, path, body, timeout, log_bytes}, timeout + std::chrono::seconds(6));
}

}  // namespace hotmem::host

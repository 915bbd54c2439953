// The host end of the control channel to a guest agent. Calls may come from
// several threads; one reader thread matches answers to calls by id.
//
// The guest is untrusted: a malformed frame, an answer that is not valid JSON
// or an answer to a call never made breaks the channel (every waiting call
// fails with the reason); silence is bounded by each call's timeout.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "protocol/guest_reports.h"

namespace hotmem::host {

using nlohmann::json;

struct AgentInfo {
  std::string agent_version;
  std::string kernel;
  std::uint64_t uptime_ms = 0;
  std::string cmdline;
};

struct InstanceLaunch {
  std::string name;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::optional<int> node;
  bool wait_ready = true;
  Clock::duration ready_timeout = std::chrono::seconds(120);
};

class AgentClient {
 public:
  static Result<std::unique_ptr<AgentClient>> connect(const std::filesystem::path& socket, Deadline deadline);
  // Wraps an already connected stream (tests use a socketpair).
  explicit AgentClient(UniqueFd fd);
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  // One request, its answer's body (or the agent's error).
  Result<json> call(const std::string& type, const json& body, Clock::duration timeout);

  // Pings until the agent answers (the guest has booted) or the deadline
  // passes; `alive` ends the wait early when the VM has died.
  Result<AgentInfo> wait_ready(Deadline deadline, const std::function<bool()>& alive);
  Result<AgentInfo> ping(Clock::duration timeout = std::chrono::seconds(5));
  Result<protocol::GuestMemoryReport> memory_report(Clock::duration timeout = std::chrono::seconds(10));
  // Returns the instance's pid in the guest.
  Result<std::int64_t> start_instance(const InstanceLaunch& launch);
  // Returns how it ended ("exited with status 0", "killed by signal 9 ...").
  Result<std::string> stop_instance(const std::string& name, Clock::duration grace,
                                    Clock::duration timeout = std::chrono::seconds(30));

  // Set once the channel is unusable; says why.
  std::optional<std::string> broken() const;

 private:
  void read_loop();
  void fail_all(const std::string& reason);

  UniqueFd fd_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::promise<Result<json>>> pending_;
  std::optional<std::string> broken_;
  std::mutex write_mutex_;
  std::thread reader_;
};

}  // namespace hotmem::host

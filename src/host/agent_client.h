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
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "common/size.h"  // for includers that use kMiB with InstanceStart
#include "common/unique_fd.h"
#include "protocol/agent_calls.h"
#include "protocol/guest_reports.h"

namespace hotmem::host {

using nlohmann::json;

// The answers under the names host code has always used.
using AgentInfo = protocol::AgentInfo;
using InstanceEnd = protocol::InstanceEnd;
using InstanceStatus = protocol::InstanceStatus;
using ActionAnswer = protocol::ActionAnswer;
using NodeCleared = protocol::NodeCleared;
using NodeLeftovers = protocol::NodeLeftovers;

class AgentClient {
 public:
  static Result<std::unique_ptr<AgentClient>> connect(const std::filesystem::path& socket, Deadline deadline);
  // Wraps an already connected stream (tests use a socketpair).
  explicit AgentClient(UniqueFd fd);
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  // One call (protocol/agent_calls.h) and its answer, checked. Errors: the
  // agent's own (its message), kGuestMisbehaved for an answer that fails to
  // decode, kUnavailable for a broken channel or no answer within `timeout`.
  template <class Call>
  Result<protocol::Decoded<Call>> call(const Call& request, Clock::duration timeout) {
    auto body = call(std::string(Call::kType), request.encode(), timeout);
    if (!body) return body.error();
    auto answer = Call::Answer::decode(*body);
    if (!answer) {
      return answer.error().with_code(ErrorCode::kGuestMisbehaved).context(std::string(Call::kType) + " answer");
    }
    return answer;
  }
  // The same, untyped: a request by its type and body, its answer's body as
  // the agent sent it.
  Result<json> call(const std::string& type, const json& body, Clock::duration timeout);

  // The calls host code makes, each a thin wrapper over call().

  // Pings until the agent answers (the guest has booted) or the deadline
  // passes; `alive` ends the wait early when the VM has died.
  Result<AgentInfo> wait_ready(Deadline deadline, const std::function<bool()>& alive);
  Result<AgentInfo> ping(Clock::duration timeout = std::chrono::seconds(5));
  Result<protocol::GuestMemoryReport> memory_report(Clock::duration timeout = std::chrono::seconds(10));
  // Returns the instance's pid in the guest; waits up to its ready_timeout
  // (and a little longer for the answer).
  Result<std::int64_t> start_instance(const protocol::InstanceStart& start);
  // Stops it (SIGTERM, SIGKILL after `grace`) or collects one that ended by
  // itself; answers once its sandbox is gone.
  Result<InstanceEnd> stop_instance(const std::string& name, Clock::duration grace,
                                    Clock::duration timeout = std::chrono::seconds(30));
  Result<std::vector<InstanceStatus>> list_instances(Clock::duration timeout = std::chrono::seconds(10));
  // Sends SIGUSR1 or SIGUSR2 ("USR1", "USR2") to a running instance.
  Status signal_instance(const std::string& name, const std::string& signal);
  // Has the agent take every memory block of `node` offline (before its
  // device is unplugged). Pages in use there are migrated; one that cannot
  // be moved makes it fail after `timeout` (the agent stays responsive
  // meanwhile).
  Status offline_node(int node, Clock::duration timeout);
  // Ends what still holds memory on the node of an ended instance (see
  // protocol::ClearNode) and says what is left.
  Result<NodeCleared> clear_node(int node, Clock::duration timeout);
  // Has the agent read these files (or directories) into node 0's page cache.
  Result<std::uint64_t> preload(const std::vector<std::string>& paths,
                                Clock::duration timeout = std::chrono::seconds(120));

  // Has the agent POST `body` to the instance's action server on its
  // loopback port (`path` is /init or /run); a /run with `log_bytes` answers
  // with what the action wrote meanwhile, at most that much (protocol::Invoke).
  Result<ActionAnswer> invoke(const std::string& name, int port, const std::string& path, const std::string& body,
                              Clock::duration timeout, std::size_t log_bytes = 0);

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

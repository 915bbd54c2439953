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
#include "common/size.h"
#include "common/unique_fd.h"
#include "host/agent_answers.h"
#include "protocol/guest_reports.h"

namespace hotmem::host {

using nlohmann::json;

struct InstanceLaunch {
  std::string name;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  // Its sandbox: cpuset.mems = node, memory.max, a tmpfs scratch as /tmp.
  std::optional<int> node;
  std::optional<std::uint64_t> memory_max;
  std::uint64_t scratch_bytes = 64 * kMiB;
  // The root directory it runs in (e.g. protocol::kRootfsMountPoint, the
  // VM's read-only function rootfs), with its scratch as <root>/tmp; the
  // agent's own root when unset.
  std::optional<std::string> root;
  // The agent starts it once `node` holds this much memory, so the launch
  // can be sent while the partition is still being plugged.
  std::uint64_t node_bytes = 0;
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
  // Stops it (SIGTERM, SIGKILL after `grace`) or collects one that ended by
  // itself; answers once its sandbox is gone.
  Result<InstanceEnd> stop_instance(const std::string& name, Clock::duration grace,
                                    Clock::duration timeout = std::chrono::seconds(30));
  Result<std::vector<InstanceStatus>> list_instances(Clock::duration timeout = std::chrono::seconds(10));
  // Sends SIGUSR1 or SIGUSR2 ("USR1", "USR2") to a running instance.
  Status signal_instance(const std::string& name, const std::string& signal);
  // Has the agent take every memory block of `node` offline (before its
  // device is unplugged); a page still in use there makes it fail after
  // `timeout` (the agent stays responsive meanwhile).
  Status offline_node(int node, Clock::duration timeout);
  // Has the agent read these files (or directories) into node 0's page cache.
  Result<std::uint64_t> preload(const std::vector<std::string>& paths,
                                Clock::duration timeout = std::chrono::seconds(120));

  // Has the agent POST `body` to the instance's action server on its
  // loopback port (`path` is /init or /run).
  Result<ActionAnswer> invoke(const std::string& name, int port, const std::string& path, const std::string& body,
                              Clock::duration timeout);

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

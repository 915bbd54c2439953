// The instances of one VM and the memory each holds (host-internal: a
// Deployment is the door to it). start = grant memory (plug) + start the
// instance in its sandbox, the two overlapped where the mode allows; stop =
// end it and let the agent clear what it left (its memory stays granted);
// take_stopped = hand that memory over to be reclaimed. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/agent_client.h"
#include "host/function_vm.h"
#include "host/instance_request.h"
#include "host/memory_mode.h"

namespace hotmem::host {

class InstancePool {
 public:
  static constexpr auto kPlugTimeout = std::chrono::seconds(60);
  static constexpr int kFirstPort = 8000;
  // How long grant_unused() waits for the guest to online a partition
  // plugged for no instance, and what it may hold then (as
  // Deployment::kEmptySlackBytes).
  static constexpr auto kUnusedOnlineTimeout = std::chrono::seconds(10);
  static constexpr std::uint64_t kUnusedSlackBytes = 2 * kMiB;

  InstancePool(FunctionVm& vm, MemoryMode& mode, FunctionShape shape)
      : vm_(vm), mode_(mode), shape_(shape) {}

  Result<StartedInstance> start(const InstanceRequest& request);
  // Grants memory to a name that never runs an instance: recorded as an
  // instance that ended at once, with what its node holds (normally
  // nothing), so take_stopped() hands it over like any ended instance's.
  // Returns the plug latency.
  Result<Clock::duration> grant_unused(const std::string& name);
  // Ends the instance (or collects one that ended by itself, e.g.
  // OOM-killed); its memory stays granted until reclaimed.
  Result<InstanceEnd> stop(const std::string& name, Clock::duration grace);
  // Removes stopped instances from the pool and hands over their grants, for
  // the mode to reclaim; fails, taking none, when one is unknown or still
  // running.
  Result<std::vector<Grant>> take_stopped(const std::vector<std::string>& names);

  // The port of a running instance's action server.
  Result<int> port_of(const std::string& name) const;
  // How a stopped instance ended.
  std::optional<InstanceEnd> end_of(const std::string& name) const;
  std::vector<std::string> instances() const;
  // [{"name", "state": running|stopped, "port"?, "node"?, "partition"?}]
  nlohmann::json describe() const;

 private:
  struct Record {
    Grant grant;
    int port = 0;
    std::optional<InstanceEnd> end;  // set once stopped
  };

  // Reads the program of a new kind of instance (under its root, if it has
  // one) and the files it asks for into node 0's page cache, each file once,
  // so its shared file pages never land in a partition.
  Status preload_once(const InstanceRequest& request);
  // Reserves a name and, for an action server, the lowest free port.
  Result<int> reserve(const InstanceRequest& request);

  FunctionVm& vm_;
  MemoryMode& mode_;
  FunctionShape shape_;

  mutable std::mutex mutex_;
  std::map<std::string, Record> records_;
  std::set<std::string> starting_;  // names reserved by starts under way
  std::set<int> ports_;             // taken by running or starting instances
  std::set<std::string> preloaded_;
};

}  // namespace hotmem::host

// Function instances in one VM, with memory from the VM's memory mode:
// start = grant memory (plug) + start the instance in its sandbox, the two
// overlapped where the mode allows; stop = end it and let the agent clear
// what it left; reclaim = give the memory back. Thread-safe.
#pragma once

#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "host/agent_client.h"
#include "host/function_vm.h"
#include "host/memory_mode.h"

namespace hotmem::host {

struct InstanceRequest {
  std::string name;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::uint64_t scratch_bytes = 64 * kMiB;
  Clock::duration ready_timeout = std::chrono::seconds(120);
  // Run chrooted here (e.g. protocol::kRootfsMountPoint, the VM's Python
  // rootfs); argv[0] is then a path inside it.
  std::optional<std::string> root;
  // More guest files to read into node 0 before the first instance that
  // names them (e.g. image::rootfs_preload_paths()).
  std::vector<std::string> preload;
};

struct StartedInstance {
  std::string name;
  std::int64_t pid = 0;
  Grant grant;
  Clock::duration plug_latency{};   // the mode's grant, as the VMM reported it
  Clock::duration start_latency{};  // from asking to the instance being ready
};

struct StoppedInstance {
  Grant grant;
  InstanceEnd end;
};

class InstancePool {
 public:
  static constexpr auto kPlugTimeout = std::chrono::seconds(60);

  InstancePool(FunctionVm& vm, MemoryMode& mode, FunctionShape shape)
      : vm_(vm), mode_(mode), shape_(shape) {}

  Result<StartedInstance> start(const InstanceRequest& request);
  // Ends the instance (or collects one that ended by itself, e.g. OOM-killed).
  Result<StoppedInstance> stop(const std::string& name, Clock::duration grace = std::chrono::seconds(10));
  // Gives back the memory of stopped instances, all at once.
  Result<ReclaimResult> reclaim(const std::vector<StoppedInstance>& stopped,
                                Clock::duration timeout = std::chrono::seconds(120));

  std::vector<std::string> instances() const;
  const FunctionShape& shape() const { return shape_; }
  MemoryMode& mode() { return mode_; }

 private:
  FunctionVm& vm_;
  MemoryMode& mode_;
  FunctionShape shape_;
  // Reads the program of a new kind of instance (under its root, if it has
  // one) and the files it asks for into node 0's page cache, each file once,
  // so its shared file pages never land in a partition.
  Status preload_once(const InstanceRequest& request);

  mutable std::mutex mutex_;
  std::map<std::string, Grant> grants_;
  std::set<std::string> preloaded_;
};

}  // namespace hotmem::host

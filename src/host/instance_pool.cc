#include "host/instance_pool.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/messages.h"

namespace hotmem::host {

Result<StartedInstance> InstancePool::start(const InstanceRequest& request) {
  if (Status s = protocol::validate_name("instance name", request.name); !s) return s.error();
  {
    std::lock_guard lock(mutex_);
    if (grants_.contains(request.name)) return Error(fmt::format("instance '{}' already exists", request.name));
  }
  if (request.argv.empty()) return Error("an instance needs a program to run");
  if (Status s = preload_once(request); !s) return s.error().context("preload for " + request.name);
  const auto started = Clock::now();
  auto grant = mode_.begin_grant(request.name);
  if (!grant) return grant.error();

  protocol::InstanceStart launch;
  launch.program = {request.name, request.argv, request.env, request.root, request.scratch_bytes};
  launch.node = grant->node;
  launch.memory_max = shape_.instance_bytes;
  launch.ready_timeout = request.ready_timeout;

  Result<Clock::duration> plugged = Error("not plugged");
  Result<std::int64_t> pid = Error("not started");
  if (grant->node) {
    // The agent prepares the sandbox and starts the instance as soon as its
    // node holds the partition, while we wait for the VMM to confirm.
    launch.node_bytes = grant->bytes;
    auto launched = std::async(std::launch::async, [this, &launch] { return vm_.agent().start_instance(launch); });
    plugged = mode_.finish_grant(*grant, kPlugTimeout);
    pid = launched.get();
  } else {
    plugged = mode_.finish_grant(*grant, kPlugTimeout);
    if (plugged) pid = vm_.agent().start_instance(launch);
  }
  if (!plugged) {
    if (pid) (void)vm_.agent().stop_instance(request.name, Millis(0));
    return plugged.error();  // the mode has taken its grant back
  }
  if (!pid) {
    // The memory came but the instance did not: give the memory back.
    if (auto back = mode_.reclaim({*grant}, kPlugTimeout); !back) {
      spdlog::warn("reclaim after failed start of {}: {}", request.name, back.error().message());
    }
    return pid.error();
  }
  {
    std::lock_guard lock(mutex_);
    grants_.emplace(request.name, *grant);
  }
  return StartedInstance{request.name, *pid, *grant, *plugged, Clock::now() - started};
}

Status InstancePool::preload_once(const InstanceRequest& request) {
  std::vector<std::string> wanted = request.preload;
  // A bare name is looked up in the instance's PATH inside the guest; only
  // an absolute path names the file for sure.
  const std::string& program = request.argv.front();
  if (!program.empty() && program.front() == '/') wanted.push_back(request.root ? *request.root + program : program);
  std::vector<std::string> paths;
  {
    std::lock_guard lock(mutex_);
    for (std::string& path : wanted) {
      if (!preloaded_.contains(path)) paths.push_back(std::move(path));
    }
  }
  if (paths.empty()) return ok_status();
  auto bytes = vm_.agent().preload(paths);
  if (!bytes) return bytes.error();
  std::lock_guard lock(mutex_);
  preloaded_.insert(paths.begin(), paths.end());
  return ok_status();
}

Result<StoppedInstance> InstancePool::stop(const std::string& name, Clock::duration grace) {
  Grant grant;
  {
    std::lock_guard lock(mutex_);
    auto it = grants_.find(name);
    if (it == grants_.end()) return Error(fmt::format("no instance '{}'", name));
    grant = it->second;
  }
  auto end = vm_.agent().stop_instance(name, grace, grace + std::chrono::seconds(30));
  if (!end) return end.error();
  {
    std::lock_guard lock(mutex_);
    grants_.erase(name);
  }
  return StoppedInstance{grant, *end};
}

Result<ReclaimResult> InstancePool::reclaim(const std::vector<StoppedInstance>& stopped, Clock::duration timeout) {
  std::vector<Grant> grants;
  for (const StoppedInstance& s : stopped) grants.push_back(s.grant);
  return mode_.reclaim(grants, timeout);
}

std::vector<std::string> InstancePool::instances() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, grant] : grants_) names.push_back(name);
  return names;
}

}  // namespace hotmem::host

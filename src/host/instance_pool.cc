#include "host/instance_pool.h"

#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/messages.h"

namespace hotmem::host {

Result<int> InstancePool::reserve(const InstanceRequest& request) {
  const std::string& name = request.program.name;
  std::lock_guard lock(mutex_);
  if (records_.contains(name) || starting_.contains(name)) {
    return Error(ErrorCode::kConflict, fmt::format("instance '{}' already exists", name));
  }
  int port = 0;
  if (request.actions) {
    port = kFirstPort;
    while (ports_.contains(port)) ++port;
    ports_.insert(port);
  }
  starting_.insert(name);
  return port;
}

Result<StartedInstance> InstancePool::start(const InstanceRequest& request) {
  const std::string& name = request.program.name;
  if (Status s = protocol::validate_name("instance name", name); !s) {
    return s.error().with_code(ErrorCode::kInvalidArgument);
  }
  if (request.program.argv.empty()) return Error(ErrorCode::kInvalidArgument, "an instance needs a program to run");
  auto port = reserve(request);
  if (!port) return port.error();
  // Whatever happens below, the name and the port are no longer being started.
  struct Unreserve {
    InstancePool& pool;
    const std::string& name;
    int port;
    bool started = false;
    ~Unreserve() {
      std::lock_guard lock(pool.mutex_);
      pool.starting_.erase(name);
      if (!started && port != 0) pool.ports_.erase(port);
    }
  } unreserve{*this, name, *port};

  if (Status s = preload_once(request); !s) return s.error().context("preload for " + name);
  const auto started = Clock::now();
  auto grant = mode_.begin_grant(name);
  if (!grant) return grant.error();

  protocol::InstanceStart launch;
  launch.program = request.program;
  if (request.actions) launch.program.env["PORT"] = std::to_string(*port);
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
    if (pid) (void)vm_.agent().stop_instance(name, Millis(0));
    return plugged.error();  // the mode has taken its grant back
  }
  if (!pid) {
    // The memory came but the instance did not: give the memory back.
    if (auto back = mode_.reclaim({*grant}, kPlugTimeout); !back) {
      spdlog::warn("reclaim after failed start of {}: {}", name, back.error().message());
    }
    return pid.error();
  }
  {
    std::lock_guard lock(mutex_);
    records_.emplace(name, Record{*grant, *port, std::nullopt});
    unreserve.started = true;
  }
  return StartedInstance{name, *pid, *port, *grant, *plugged, Clock::now() - started};
}

Result<Clock::duration> InstancePool::grant_unused(const std::string& name) {
  if (Status s = protocol::validate_name("instance name", name); !s) {
    return s.error().with_code(ErrorCode::kInvalidArgument);
  }
  InstanceRequest request;
  request.program.name = name;
  if (auto reserved = reserve(request); !reserved) return reserved.error();
  auto grant = mode_.begin_grant(name);
  Result<Clock::duration> plugged =
      grant ? mode_.finish_grant(*grant, kPlugTimeout) : Result<Clock::duration>(grant.error());
  InstanceEnd end;
  end.exit = "never started: its memory was plugged for no instance";
  if (plugged && grant->node) {
    // QEMU reports the size reached before the guest has freed every page
    // it onlines: right after the plug the node showed 56-124 MiB of 512
    // MiB "used", and nothing once the onlining was done. Wait for that, as
    // an instance's start waits for its node, then record what the node
    // holds with nothing run there (unknown, and so cleared and checked at
    // retire, when the guest does not say in time).
    const int node = *grant->node;
    Deadline deadline(kUnusedOnlineTimeout);
    while (true) {
      auto report = vm_.agent().memory_report();
      if (report) end.left = NodeLeftovers{.node = node, .used_bytes = report->node_used_bytes(node)};
      const bool online = report && report->node_total_bytes(node) >= grant->bytes &&
                          report->node_used_bytes(node) <= kUnusedSlackBytes;
      if (online || deadline.expired()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::lock_guard lock(mutex_);
  starting_.erase(name);
  if (!plugged) return plugged.error();  // the mode has taken its grant back
  records_.emplace(name, Record{*grant, 0, std::move(end)});
  return plugged;
}

Status InstancePool::preload_once(const InstanceRequest& request) {
  std::vector<std::string> wanted = request.preload;
  // A bare name is looked up in the instance's PATH inside the guest; only
  // an absolute path names the file for sure.
  const std::string& program = request.program.argv.front();
  const auto& root = request.program.root;
  if (!program.empty() && program.front() == '/') wanted.push_back(root ? *root + program : program);
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

Result<InstanceEnd> InstancePool::stop(const std::string& name, Clock::duration grace) {
  {
    std::lock_guard lock(mutex_);
    auto it = records_.find(name);
    if (it == records_.end()) return Error(ErrorCode::kNotFound, fmt::format("no instance '{}'", name));
    if (it->second.end) return *it->second.end;  // stopped already
  }
  auto end = vm_.agent().stop_instance(name, grace, grace + std::chrono::seconds(30));
  if (!end) return end.error();
  std::lock_guard lock(mutex_);
  auto it = records_.find(name);
  if (it != records_.end()) it->second.end = *end;
  return end;
}

Result<std::vector<Grant>> InstancePool::take_stopped(const std::vector<std::string>& names) {
  std::lock_guard lock(mutex_);
  for (const std::string& name : names) {
    auto it = records_.find(name);
    if (it == records_.end()) return Error(ErrorCode::kNotFound, fmt::format("no instance '{}'", name));
    if (!it->second.end) return Error(ErrorCode::kConflict, fmt::format("instance '{}' still runs", name));
  }
  std::vector<Grant> grants;
  for (const std::string& name : names) {
    auto node = records_.extract(name);
    if (!node) continue;  // named twice
    grants.push_back(node.mapped().grant);
    ports_.erase(node.mapped().port);
  }
  return grants;
}

Result<int> InstancePool::port_of(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find(name);
  if (it == records_.end() || it->second.end) {
    return Error(ErrorCode::kNotFound, fmt::format("instance '{}' is not running", name));
  }
  if (it->second.port == 0) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("instance '{}' serves no actions", name));
  }
  return it->second.port;
}

std::optional<InstanceEnd> InstancePool::end_of(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find(name);
  if (it == records_.end()) return std::nullopt;
  return it->second.end;
}

std::vector<std::string> InstancePool::instances() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, record] : records_) names.push_back(name);
  return names;
}

nlohmann::json InstancePool::describe() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, record] : records_) {
    nlohmann::json i{{"name", name}, {"state", record.end ? "stopped" : "running"}};
    if (record.port != 0) i["port"] = record.port;
    if (record.grant.node) i["node"] = *record.grant.node;
    if (record.grant.partition) i["partition"] = *record.grant.partition;
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace hotmem::host

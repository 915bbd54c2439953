#include "serve/function_registry.h"

#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace hotmem::serve {
namespace {

Error closed() { return Error(ErrorCode::kUnavailable, "the daemon is shutting down").with_reason("shutting down"); }
Error deploying(std::string message) {
  return Error(ErrorCode::kConflict, std::move(message)).with_reason("function is being deployed");
}
Error not_found(const std::string& name) {
  return Error(ErrorCode::kNotFound, fmt::format("no function '{}'", name)).with_reason("unknown function");
}

}  // namespace

FunctionRegistry::~FunctionRegistry() { shutdown(); }

Result<std::shared_ptr<Function>> FunctionRegistry::deploy(const FunctionSpec& spec) {
  std::shared_ptr<Function> failed;  // a failed VM of the same name (recovering or crash-looping), replaced
  {
    std::lock_guard lock(mutex_);
    if (closed_) return closed();
    if (auto it = functions_.find(spec.name); it != functions_.end()) {
      if (!it->second || replacing_.contains(spec.name)) {
        return deploying(fmt::format("'{}' is being deployed", spec.name));
      }
      if (it->second->state() == VmState::kReady) {
        return Error(ErrorCode::kConflict, fmt::format("'{}' exists; delete it first to deploy it anew", spec.name))
            .with_reason("function exists");
      }
      failed = std::exchange(it->second, nullptr);
    } else if (functions_.size() >= max_functions_) {
      return Error(ErrorCode::kResourceExhausted,
                   fmt::format("this daemon serves at most {} functions", max_functions_))
          .with_reason("too many functions");
    } else {
      functions_.emplace(spec.name, nullptr);
    }
  }
  if (failed) failed->shutdown();
  auto deployed = deploy_function(spec, vm_, metrics_, broker_, recovery_, dirty_);
  std::lock_guard lock(mutex_);
  if (!deployed) {
    functions_.erase(spec.name);
    metrics_.forget(spec.name);
    // A VM the memory budget cannot take keeps the budget's reason.
    if (deployed.error().code() == ErrorCode::kResourceExhausted) return deployed.error();
    return deployed.error().with_reason("deployment failed");
  }
  if (closed_) {
    functions_.erase(spec.name);
    (*deployed)->shutdown();
    metrics_.forget(spec.name);
    return closed();
  }
  functions_[spec.name] = *deployed;
  return *deployed;
}

Result<std::shared_ptr<Function>> FunctionRegistry::find(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return not_found(name);
  if (!it->second) return deploying(fmt::format("'{}' is still being deployed", name));
  return it->second;
}

Result<std::shared_ptr<Function>> FunctionRegistry::replace(const FunctionSpec& spec) {
  std::shared_ptr<Function> old;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return closed();
    auto it = functions_.find(spec.name);
    if (it == functions_.end()) return not_found(spec.name);
    if (!it->second || replacing_.contains(spec.name)) {
      return deploying(fmt::format("'{}' is being deployed", spec.name));
    }
    old = it->second;
    replacing_.insert(spec.name);
  }
  auto deployed = deploy_function(spec, vm_, metrics_, broker_, recovery_, dirty_);
  std::unique_lock lock(mutex_);
  replacing_.erase(spec.name);
  if (!deployed && deployed.error().code() == ErrorCode::kResourceExhausted && !closed_) {
    lock.unlock();
    spdlog::info("{}: no room for the new VM beside the old one: the old one stops first", spec.name);
    if (Status removed = remove(spec.name); !removed) return removed.error();
    return deploy(spec);
  }
  if (!deployed) return deployed.error().with_reason("deployment failed");
  auto it = functions_.find(spec.name);
  if (closed_ || it == functions_.end() || it->second != old) {
    lock.unlock();
    (*deployed)->shutdown();
    return closed();  // only shutdown() takes the name away meanwhile
  }
  it->second = *deployed;
  lock.unlock();
  old->shutdown();
  return *deployed;
}

Status FunctionRegistry::remove(const std::string& name) {
  std::shared_ptr<Function> f;
  {
    std::lock_guard lock(mutex_);
    auto it = functions_.find(name);
    if (it == functions_.end()) return not_found(name);
    if (!it->second || replacing_.contains(name)) {
      return deploying(fmt::format("'{}' is being deployed; delete it after", name));
    }
    f = std::move(it->second);
    functions_.erase(it);
  }
  f->shutdown();
  metrics_.forget(name);  // the name's gauges go with it (replace keeps them for the new VM)
  return ok_status();
}

std::vector<std::shared_ptr<Function>> FunctionRegistry::list() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Function>> out;
  for (const auto& [name, f] : functions_) {
    if (f) out.push_back(f);
  }
  return out;
}

void FunctionRegistry::shutdown() {
  std::map<std::string, std::shared_ptr<Function>> functions;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    functions.swap(functions_);
  }
  for (auto& [name, f] : functions) {
    if (f) f->shutdown();
    metrics_.forget(name);
  }
}

}  // namespace hotmem::serve

#include "serve/function_registry.h"

#include <utility>

#include <fmt/format.h>

namespace hotmem::serve {

FunctionRegistry::~FunctionRegistry() { shutdown(); }

std::variant<std::shared_ptr<ServedFunction>, RegistryError> FunctionRegistry::deploy(const FunctionSpec& spec) {
  std::shared_ptr<ServedFunction> failed;  // a failed VM of the same name, replaced
  {
    std::lock_guard lock(mutex_);
    if (closed_) return RegistryError{RegistryFailure::kClosed, "the daemon is shutting down"};
    if (auto it = functions_.find(spec.name); it != functions_.end()) {
      if (!it->second) return RegistryError{RegistryFailure::kDeploying, fmt::format("'{}' is being deployed", spec.name)};
      if (!it->second->failure()) {
        return RegistryError{RegistryFailure::kExists,
                             fmt::format("'{}' exists; delete it first to deploy it anew", spec.name)};
      }
      failed = std::exchange(it->second, nullptr);
    } else if (functions_.size() >= max_functions_) {
      return RegistryError{RegistryFailure::kFull,
                           fmt::format("this daemon serves at most {} functions", max_functions_)};
    } else {
      functions_.emplace(spec.name, nullptr);
    }
  }
  if (failed) failed->shutdown();
  auto deployed = ServedFunction::deploy(spec, vm_, metrics_);
  std::lock_guard lock(mutex_);
  if (!deployed) {
    functions_.erase(spec.name);
    return RegistryError{RegistryFailure::kDeployFailed, deployed.error().message()};
  }
  if (closed_) {
    functions_.erase(spec.name);
    (*deployed)->shutdown();
    return RegistryError{RegistryFailure::kClosed, "the daemon is shutting down"};
  }
  functions_[spec.name] = *deployed;
  return *deployed;
}

std::variant<std::shared_ptr<ServedFunction>, RegistryError> FunctionRegistry::find(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return RegistryError{RegistryFailure::kNotFound, fmt::format("no function '{}'", name)};
  if (!it->second) return RegistryError{RegistryFailure::kDeploying, fmt::format("'{}' is still being deployed", name)};
  return it->second;
}

std::variant<std::monostate, RegistryError> FunctionRegistry::remove(const std::string& name) {
  std::shared_ptr<ServedFunction> f;
  {
    std::lock_guard lock(mutex_);
    auto it = functions_.find(name);
    if (it == functions_.end()) return RegistryError{RegistryFailure::kNotFound, fmt::format("no function '{}'", name)};
    if (!it->second) {
      return RegistryError{RegistryFailure::kDeploying, fmt::format("'{}' is being deployed; delete it after", name)};
    }
    f = std::move(it->second);
    functions_.erase(it);
  }
  f->shutdown();
  return std::monostate{};
}

std::vector<std::shared_ptr<ServedFunction>> FunctionRegistry::list() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<ServedFunction>> out;
  for (const auto& [name, f] : functions_) {
    if (f) out.push_back(f);
  }
  return out;
}

void FunctionRegistry::shutdown() {
  std::map<std::string, std::shared_ptr<ServedFunction>> functions;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    functions.swap(functions_);
  }
  for (auto& [name, f] : functions) {
    if (f) f->shutdown();
  }
}

}  // namespace hotmem::serve

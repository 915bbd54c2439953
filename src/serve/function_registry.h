// The functions a daemon serves, by name. Deploying boots a VM (seconds), so
// a name is reserved while its VM boots: a second deploy or a delete of it
// meanwhile is refused, never interleaved. Deploying a name whose VM has
// failed replaces it. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "host/function_vm.h"
#include "serve/function_spec.h"
#include "serve/metrics.h"
#include "serve/served_function.h"

namespace hotmem::serve {

enum class RegistryFailure { kNotFound, kExists, kDeploying, kFull, kDeployFailed, kClosed };

struct RegistryError {
  RegistryFailure kind;
  std::string message;
};

class FunctionRegistry {
 public:
  // `vm` is the template of every function's VM (image, accel, boot memory).
  FunctionRegistry(host::FunctionVmConfig vm, Metrics& metrics, std::size_t max_functions)
      : vm_(std::move(vm)), metrics_(metrics), max_functions_(max_functions) {}
  ~FunctionRegistry();

  std::variant<std::shared_ptr<ServedFunction>, RegistryError> deploy(const FunctionSpec& spec);
  std::variant<std::shared_ptr<ServedFunction>, RegistryError> find(const std::string& name);
  // Removes the function and stops its VM.
  std::variant<std::monostate, RegistryError> remove(const std::string& name);
  std::vector<std::shared_ptr<ServedFunction>> list();
  // Stops every function; later deploys are refused.
  void shutdown();

 private:
  host::FunctionVmConfig vm_;
  Metrics& metrics_;
  std::size_t max_functions_;
  std::mutex mutex_;
  // A null entry: the name is reserved while its VM boots.
  std::map<std::string, std::shared_ptr<ServedFunction>> functions_;
  bool closed_ = false;
};

}  // namespace hotmem::serve

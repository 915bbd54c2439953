// The functions a daemon serves, by name. Deploying boots a VM (seconds), so
// a name is reserved while its VM boots: a second deploy or a delete of it
// meanwhile is refused, never interleaved. Deploying a name whose VM has
// failed (recovering or crash-looping) replaces it. Thread-safe.
//
// Errors have a kind and a reason: kNotFound "unknown function", kConflict
// "function exists" or "function is being deployed" (also while it is
// being replaced), kResourceExhausted
// "too many functions", kUnavailable "shutting down", and a failed boot
// "deployment failed" (the kind its cause had; kResourceExhausted when the
// VM does not fit the memory budget).
#pragma once

#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/function_vm.h"
#include "serve/function_spec.h"
#include "serve/memory_broker.h"
#include "serve/metrics.h"
#include "serve/function.h"

namespace hotmem::serve {

class FunctionRegistry {
 public:
  // `vm` is the template of every function's VM (image, accel, boot memory);
  // `broker` the host's memory budget they share; `recovery` when their
  // failed VMs boot again; `dirty` what to do with a partition an ended
  // instance did not leave empty.
  FunctionRegistry(host::FunctionVmConfig vm, Metrics& metrics, MemoryBroker& broker, std::size_t max_functions,
                   RecoveryConfig recovery = {}, host::DirtyPolicy dirty = host::DirtyPolicy::kMigrate)
      : vm_(std::move(vm)),
        metrics_(metrics),
        broker_(broker),
        max_functions_(max_functions),
        recovery_(recovery),
        dirty_(dirty) {}
  ~FunctionRegistry();

  Result<std::shared_ptr<Function>> deploy(const FunctionSpec& spec);
  Result<std::shared_ptr<Function>> find(const std::string& name);
  // Deploys `spec` in place of the function of its name, which goes on
  // serving while the new VM boots; then the name goes to the new one and
  // the old one is shut down (invocations still running on it fail). When
  // the memory budget cannot hold both at once, the old one is removed
  // first and `spec` deployed after (a gap). A failed boot leaves the old
  // one serving. Errors: as deploy's and remove's.
  Result<std::shared_ptr<Function>> replace(const FunctionSpec& spec);
  // Removes the function and stops its VM.
  Status remove(const std::string& name);
  std::vector<std::shared_ptr<Function>> list();
  MemoryBroker& broker() { return broker_; }
  // Stops every function; later deploys are refused.
  void shutdown();

 private:
  host::FunctionVmConfig vm_;
  Metrics& metrics_;
  MemoryBroker& broker_;
  std::size_t max_functions_;
  RecoveryConfig recovery_;
  host::DirtyPolicy dirty_;
  std::mutex mutex_;
  // A null entry: the name is reserved while its VM boots.
  std::map<std::string, std::shared_ptr<Function>> functions_;
  // Names whose new VM boots while the old one serves (replace).
  std::set<std::string> replacing_;
  bool closed_ = false;
};

}  // namespace hotmem::serve

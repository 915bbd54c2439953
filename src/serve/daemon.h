// The daemon of `hotmem serve` as one object: its metrics, the host memory
// budget, the function registry and the REST API, served by a thread of its
// own once started, and stopped in the daemon's order: no more requests,
// then scale ups waiting for memory fail, then every function VM ends (and
// with it the OpenWhisk API's background invocations).
// `hotmem serve`, `hotmem bench chaos` and the end-to-end tests run it.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "host/function_vm.h"
#include "serve/activation_store.h"
#include "serve/api_server.h"
#include "serve/function_registry.h"
#include "serve/memory_broker.h"
#include "serve/metrics.h"
#include "serve/openwhisk_api.h"

namespace hotmem::serve {

struct DaemonConfig {
  host::FunctionVmConfig vm;  // the template of every function's VM
  std::size_t max_functions = 8;
  BudgetConfig budget = unlimited_budget();
  HostProbe probe = [] { return read_host_memory(); };
  ApiLimits limits;
  RecoveryConfig recovery;  // when failed VMs boot again
  host::DirtyPolicy dirty = host::DirtyPolicy::kMigrate;
  ActivationLimits activations;  // records kept per function, log bytes per activation
  OpenWhiskConfig openwhisk;     // its API's key (none: the API answers 401) and namespace
};

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  // stop()
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Every request must carry this bearer token (ApiServer::require_token).
  // Before start().
  void require_token(std::string token);
  // Starts the memory budget, binds the API to host:port (port 0: any free
  // port) or to `unix_socket`, and serves it on a thread.
  Status start(const std::string& host, int port, const std::string& unix_socket = "");
  // Stops it all, in the order above; what serving the API ended with.
  // Idempotent.
  Status stop();

  int port() const { return api_->port(); }
  Metrics& metrics() { return metrics_; }
  MemoryBroker& broker() { return broker_; }
  FunctionRegistry& registry() { return *registry_; }
  ActivationStore& activations() { return activations_; }

 private:
  Metrics metrics_;
  ActivationStore activations_;
  MemoryBroker broker_;
  std::unique_ptr<FunctionRegistry> registry_;
  std::unique_ptr<OpenWhiskApi> openwhisk_;
  std::unique_ptr<ApiServer> api_;
  std::thread server_;
  Status served_ = ok_status();
  bool stopped_ = false;
};

}  // namespace hotmem::serve

// The daemon of `hotmem serve` in the test process: a host memory budget,
// a function registry whose VMs are small test VMs, and the REST API on a
// free loopback port, served by a thread until the object goes.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "serve/api_server.h"
#include "serve/function_registry.h"
#include "serve/memory_broker.h"
#include "vm_fixture.h"

namespace hotmem::e2e {

struct DaemonOptions {
  std::size_t max_functions = 3;
  serve::BudgetConfig budget = serve::unlimited_budget();
  serve::HostProbe probe = [] { return serve::read_host_memory(); };
  serve::ApiLimits limits;
  serve::RecoveryConfig recovery;
  std::optional<std::filesystem::path> image_dir;  // the functions' guest image, if not the build's
};

class InProcessDaemon {
 public:
  // Functions' VMs: `name`'s test VM config with 1 vCPU, no devices (each
  // function's mode adds its own).
  InProcessDaemon(const std::string& name, DaemonOptions options)
      : broker_(options.budget, metrics_, std::move(options.probe)) {
    host::FunctionVmConfig vm = test_vm_config(name);
    vm.memory_devices.clear();
    vm.vcpus = 1;
    if (options.image_dir) vm.image_dir = *options.image_dir;
    registry_ =
        std::make_unique<serve::FunctionRegistry>(vm, metrics_, broker_, options.max_functions, options.recovery);
    api_ = std::make_unique<serve::ApiServer>(*registry_, metrics_, options.limits);
  }
  // As the daemon stops: no more requests, waiters for memory fail, then
  // every VM ends.
  ~InProcessDaemon() {
    api_->stop();
    if (server_.joinable()) server_.join();
    broker_.stop();
    registry_->shutdown();
  }
  InProcessDaemon(const InProcessDaemon&) = delete;
  InProcessDaemon& operator=(const InProcessDaemon&) = delete;

  // Starts the budget and the API.
  Status start() {
    if (Status s = broker_.start(); !s) return s;
    if (Status s = api_->bind("127.0.0.1", 0); !s) return s;
    server_ = std::thread([this] { (void)api_->run(); });
    return ok_status();
  }

  httplib::Client client() {
    httplib::Client c("127.0.0.1", api_->port());
    c.set_read_timeout(300, 0);
    return c;
  }
  serve::Metrics& metrics() { return metrics_; }
  serve::MemoryBroker& broker() { return broker_; }
  serve::FunctionRegistry& registry() { return *registry_; }

 private:
  serve::Metrics metrics_;
  serve::MemoryBroker broker_;
  std::unique_ptr<serve::FunctionRegistry> registry_;
  std::unique_ptr<serve::ApiServer> api_;
  std::thread server_;
};

}  // namespace hotmem::e2e

// The daemon of `hotmem serve` in the test process: a host memory budget,
// a function registry whose VMs are small test VMs, and the REST API on a
// free loopback port, served by a thread until the object goes.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "serve/daemon.h"
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
  InProcessDaemon(const std::string& name, DaemonOptions options) : daemon_(config(name, std::move(options))) {}
  // As the daemon stops: no more requests, waiters for memory fail, then
  // every VM ends.
  ~InProcessDaemon() { (void)daemon_.stop(); }
  InProcessDaemon(const InProcessDaemon&) = delete;
  InProcessDaemon& operator=(const InProcessDaemon&) = delete;

  // Starts the budget and the API.
  Status start() { return daemon_.start("127.0.0.1", 0); }

  int port() const { return daemon_.port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(daemon_.port()); }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", daemon_.port());
    c.set_read_timeout(300, 0);
    return c;
  }
  serve::Metrics& metrics() { return daemon_.metrics(); }
  serve::MemoryBroker& broker() { return daemon_.broker(); }
  serve::FunctionRegistry& registry() { return daemon_.registry(); }

 private:
  static serve::DaemonConfig config(const std::string& name, DaemonOptions options) {
    serve::DaemonConfig c;
    c.vm = test_vm_config(name);
    c.vm.memory_devices.clear();
    c.vm.vcpus = 1;
    if (options.image_dir) c.vm.image_dir = *options.image_dir;
    c.max_functions = options.max_functions;
    c.budget = options.budget;
    c.probe = std::move(options.probe);
    c.limits = options.limits;
    c.recovery = options.recovery;
    return c;
  }

  serve::Daemon daemon_;
};

}  // namespace hotmem::e2e

#include "serve/daemon.h"

namespace hotmem::serve {

Daemon::Daemon(DaemonConfig config)
    : activations_(config.activations), broker_(config.budget, metrics_, std::move(config.probe)) {
  registry_ = std::make_unique<FunctionRegistry>(std::move(config.vm), metrics_, broker_, config.max_functions,
                                                 config.recovery, config.dirty);
  openwhisk_ = std::make_unique<OpenWhiskApi>(std::move(config.openwhisk), *registry_, activations_, config.limits);
  api_ = std::make_unique<ApiServer>(*registry_, metrics_, activations_, config.limits, openwhisk_.get());
}

Daemon::~Daemon() { (void)stop(); }

void Daemon::require_token(std::string token) { api_->require_token(std::move(token)); }

Status Daemon::start(const std::string& host, int port, const std::string& unix_socket) {
  if (Status s = broker_.start(); !s) return s;
  if (Status s = api_->bind(host, port, unix_socket); !s) return s;
  server_ = std::thread([this] { served_ = api_->run(); });
  return ok_status();
}

Status Daemon::stop() {
  if (stopped_) return served_;
  stopped_ = true;
  openwhisk_->close();  // blocking invokes stop waiting; no new ones
  api_->stop();
  if (server_.joinable()) server_.join();
  broker_.stop();  // scale ups waiting for memory fail now
  registry_->shutdown();
  openwhisk_->stop();  // the invocations still running failed with their VMs
  return served_;
}

}  // namespace hotmem::serve

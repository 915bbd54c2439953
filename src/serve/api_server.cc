#include "serve/api_server.h"

#include <sys/socket.h>

#include <filesystem>
#include <thread>

#include <httplib.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/socket.h"
#include "protocol/messages.h"

namespace hotmem::serve {
namespace {

constexpr std::size_t kThreads = 64;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2, ' ', false, json::error_handler_t::replace) + "\n", "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& error, const std::string& detail) {
  send_json(res, status, json{{"error", error}, {"detail", detail}});
}

int status_of(RegistryFailure failure) {
  switch (failure) {
    case RegistryFailure::kNotFound: return 404;
    case RegistryFailure::kExists: return 409;
    case RegistryFailure::kDeploying: return 409;
    case RegistryFailure::kFull: return 429;
    case RegistryFailure::kDeployFailed: return 500;
    case RegistryFailure::kClosed: return 503;
  }
  return 500;
}

const char* error_of(RegistryFailure failure) {
  switch (failure) {
    case RegistryFailure::kNotFound: return "unknown function";
    case RegistryFailure::kExists: return "function exists";
    case RegistryFailure::kDeploying: return "function is being deployed";
    case RegistryFailure::kFull: return "too many functions";
    case RegistryFailure::kDeployFailed: return "deployment failed";
    case RegistryFailure::kClosed: return "shutting down";
  }
  return "error";
}

void send_registry_error(httplib::Response& res, const RegistryError& e) {
  send_error(res, status_of(e.kind), error_of(e.kind), e.message);
}

// The {name} of a path; an error answer when it is not a valid name.
std::optional<std::string> name_of(const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.matches[1];
  if (Status s = protocol::validate_name("function name", name); !s) {
    send_error(res, 400, "bad function name", s.error().message());
    return std::nullopt;
  }
  return name;
}

// The body as a JSON object; an error answer when it is not one.
std::optional<json> body_of(const httplib::Request& req, httplib::Response& res, bool empty_is_object) {
  if (req.body.empty() && empty_is_object) return json::object();
  auto body = protocol::parse_object(req.body);
  if (!body) {
    send_error(res, 400, "malformed JSON", body.error().message());
    return std::nullopt;
  }
  return std::move(*body);
}

}  // namespace

struct ApiServer::Routes {
  httplib::Server server;
};

ApiServer::ApiServer(FunctionRegistry& registry, Metrics& metrics, ApiLimits limits)
    : routes_(std::make_unique<Routes>()) {
  auto& s = routes_->server;
  s.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  s.set_payload_max_length(limits.max_body_bytes);

  s.Put(R"(/v1/functions/([^/]+))", [&registry](const httplib::Request& req, httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    auto body = body_of(req, res, false);
    if (!body) return;
    auto spec = parse_function_spec(*name, *body);
    if (!spec) return send_error(res, 400, "invalid function", spec.error().message());
    auto deployed = registry.deploy(*spec);
    if (auto* e = std::get_if<RegistryError>(&deployed)) return send_registry_error(res, *e);
    send_json(res, 201, std::get<0>(deployed)->describe());
  });

  s.Get(R"(/v1/functions/([^/]+))", [&registry](const httplib::Request& req, httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    auto found = registry.find(*name);
    if (auto* e = std::get_if<RegistryError>(&found)) return send_registry_error(res, *e);
    send_json(res, 200, std::get<0>(found)->describe());
  });

  s.Get("/v1/functions", [&registry](const httplib::Request&, httplib::Response& res) {
    json functions = json::array();
    for (const auto& f : registry.list()) {
      json entry = f->spec().to_json();
      entry["state"] = f->failure() ? "failed" : "ready";
      functions.push_back(std::move(entry));
    }
    send_json(res, 200, json{{"functions", functions}});
  });

  s.Delete(R"(/v1/functions/([^/]+))", [&registry](const httplib::Request& req, httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    auto removed = registry.remove(*name);
    if (auto* e = std::get_if<RegistryError>(&removed)) return send_registry_error(res, *e);
    send_json(res, 200, json{{"deleted", *name}});
  });

  s.Post(R"(/v1/functions/([^/]+)/invoke)", [&registry, limits](const httplib::Request& req, httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    auto params = body_of(req, res, true);
    if (!params) return;
    auto found = registry.find(*name);
    if (auto* e = std::get_if<RegistryError>(&found)) return send_registry_error(res, *e);
    auto outcome = std::get<0>(found)->invoke(*params, limits.invoke_timeout);
    if (auto* r = std::get_if<InvocationResult>(&outcome)) return send_json(res, 200, r->to_json());
    const auto& e = std::get<InvokeError>(outcome);
    switch (e.kind) {
      case InvokeFailure::kBusy: return send_error(res, 503, "no instance free", e.message);
      case InvokeFailure::kUnavailable: return send_error(res, 503, "function unavailable", e.message);
      case InvokeFailure::kVmFailed: return send_error(res, 503, "function VM failed", e.message);
      case InvokeFailure::kActionFailed: return send_error(res, 502, "the action failed", e.message);
      case InvokeFailure::kBadAnswer: return send_error(res, 502, "bad answer from the action", e.message);
    }
  });

  s.Get("/metrics", [&metrics, &registry](const httplib::Request&, httplib::Response& res) {
    for (const auto& f : registry.list()) metrics.set_gauge(kQemuRss, f->spec().name, double(f->rss_bytes()));
    res.status = 200;
    res.set_content(metrics.render(), "text/plain; version=0.0.4");
  });

  // Whatever no route answered (unknown path or method, a body over the
  // limit, ...) still gets a JSON error.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404: return send_error(res, 404, "not found", fmt::format("no route for {} {}", req.method, req.path));
      case 413: return send_error(res, 413, "body too large", "the request body exceeds the daemon's limit");
      default: return send_error(res, res.status, "bad request", fmt::format("HTTP {} for {} {}", res.status, req.method, req.path));
    }
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("request failed: {}", what);
    send_error(res, 500, "internal error", what);
  });
}

ApiServer::~ApiServer() { stop(); }

Status ApiServer::bind(const std::string& host, int port, const std::string& unix_socket) {
  auto& s = routes_->server;
  if (!unix_socket.empty()) {
    // A socket file nobody answers on is a killed daemon's: it goes. One
    // that answers belongs to a daemon still running.
    std::error_code ec;
    if (std::filesystem::is_socket(unix_socket, ec)) {
      if (connect_unix(unix_socket, Deadline(std::chrono::milliseconds(0)))) {
        return Error(fmt::format("another daemon listens on {}", unix_socket));
      }
      std::filesystem::remove(unix_socket, ec);
    }
    s.set_address_family(AF_UNIX);
    // stop() shuts the listening socket down, which wakes a thread blocked
    // in accept() on a TCP socket but not on a unix one: the accept loop
    // polls instead, and sees the stop within this interval.
    s.set_idle_interval(std::chrono::milliseconds(100));
    if (!s.bind_to_port(unix_socket, 80)) return Error(fmt::format("cannot listen on unix socket {}", unix_socket));
    return ok_status();
  }
  if (port == 0) {
    port_ = s.bind_to_any_port(host);
    if (port_ <= 0) return Error(fmt::format("cannot listen on {}", host));
    return ok_status();
  }
  if (!s.bind_to_port(host, port)) {
    return Error(fmt::format("cannot listen on {}:{} (in use? try --port)", host, port));
  }
  port_ = port;
  return ok_status();
}

Status ApiServer::run() {
  running_ = true;
  const bool listened = stopping_ || routes_->server.listen_after_bind();
  done_ = true;
  if (!listened) return Error("the API server stopped with an error");
  return ok_status();
}

void ApiServer::stop() {
  stopping_ = true;
  if (!running_) return;
  while (!done_ && !routes_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  routes_->server.stop();
}

}  // namespace hotmem::serve

#include "serve/api_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <thread>

#include <httplib.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/socket.h"
#include "protocol/messages.h"
#include "serve/api_auth.h"
#include "serve/dashboard.h"
#include "serve/openwhisk_api.h"

namespace hotmem::serve {
namespace {

constexpr std::size_t kThreads = 64;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2, ' ', false, json::error_handler_t::replace) + "\n", "application/json");
}

void send_error(httplib::Response& res, int status, ErrorCode code, const std::string& error,
                const std::string& detail) {
  send_json(res, status, json{{"error", error}, {"code", error_code_name(code)}, {"detail", detail}});
}

}  // namespace

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kInternal: return 500;
    case ErrorCode::kGuestMisbehaved: return 502;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kUnauthenticated: return 401;
  }
  return 500;
}

std::optional<std::size_t> query_number(std::string_view text, std::size_t max_digits) {
  const bool digits = !text.empty() && text.size() <= std::min<std::size_t>(max_digits, 15) &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return std::nullopt;
  return std::stoull(std::string(text));
}

namespace {

// {"error": its reason (or its kind's name), "code": its kind, "detail": its
// message, and the fields of `extra`}. Failures that a retry soon may not
// meet also say when to retry.
void send_error(httplib::Response& res, const Error& e, const json& extra = json::object()) {
  const std::string headline = e.reason().empty() ? std::string(error_code_name(e.code())) : e.reason();
  if (e.reason() == "memory budget exhausted" || e.reason() == "no instance free" ||
      e.reason() == "function VM recovering") {
    res.set_header("Retry-After", "1");
  }
  json body{{"error", headline}, {"code", error_code_name(e.code())}, {"detail", e.message()}};
  body.update(extra);
  send_json(res, http_status(e.code()), body);
}

// An activation id of a path: 32 lowercase hex digits (ActivationStore::new_id).
std::optional<std::string> activation_id_of(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  if (!ActivationStore::is_id(id)) {
    send_error(res, Error(ErrorCode::kInvalidArgument,
                          fmt::format("'{}' is not an activation id (32 hex digits, as an invocation answers)",
                                      id.substr(0, 64)))
                        .with_reason("bad activation id"));
    return std::nullopt;
  }
  return id;
}

// The ?limit=N of a list: 1-max, `all` when absent; an error answer when it is not.
std::optional<std::size_t> limit_of(const httplib::Request& req, httplib::Response& res, std::size_t all) {
  if (!req.has_param("limit")) return all;
  const std::string text = req.get_param_value("limit");
  const auto n = query_number(text);
  if (!n || *n < 1 || *n > ActivationLimits::kMaxPerFunction) {
    send_error(res, Error(ErrorCode::kInvalidArgument, fmt::format("limit must be a whole number from 1 to {}, not "
                                                                   "'{}'",
                                                                   ActivationLimits::kMaxPerFunction,
                                                                   text.substr(0, 32)))
                        .with_reason("bad limit"));
    return std::nullopt;
  }
  return *n;
}

Error unknown_activation(const std::string& id) {
  return Error(ErrorCode::kNotFound, fmt::format("no activation '{}': only the newest of each function are kept, "
                                                 "and a deleted function's go with it",
                                                 id))
      .with_reason("unknown activation");
}

// The {name} of a path; an error answer when it is not a valid name.
std::optional<std::string> name_of(const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.matches[1];
  if (Status s = protocol::validate_name("function name", name); !s) {
    send_error(res, s.error().with_code(ErrorCode::kInvalidArgument).with_reason("bad function name"));
    return std::nullopt;
  }
  return name;
}

// The body as a JSON object; an error answer when it is not one.
std::optional<json> body_of(const httplib::Request& req, httplib::Response& res, bool empty_is_object) {
  if (req.body.empty() && empty_is_object) return json::object();
  auto body = protocol::parse_object(req.body);
  if (!body) {
    send_error(res, body.error().with_code(ErrorCode::kInvalidArgument).with_reason("malformed JSON"));
    return std::nullopt;
  }
  return std::move(*body);
}

}  // namespace

struct ApiServer::Routes {
  httplib::Server server;
  std::vector<ApiRoute> table;
  std::optional<std::string> token;  // require_token
  OpenWhiskApi* openwhisk = nullptr;

  // Serves `method` on `path` (an ApiRoute path: each {parameter} matches
  // one path segment, req.matches[1...] in order) and lists the route.
  void add(std::string method, std::string path, httplib::Server::Handler handler) {
    static const std::regex parameter(R"(\{[^/{}]+\})");
    const std::string pattern = std::regex_replace(path, parameter, "([^/]+)");
    if (method == "GET") {
      server.Get(pattern, std::move(handler));
    } else if (method == "PUT") {
      server.Put(pattern, std::move(handler));
    } else if (method == "POST") {
      server.Post(pattern, std::move(handler));
    } else if (method == "DELETE") {
      server.Delete(pattern, std::move(handler));
    } else {
      throw std::logic_error("ApiServer: no route method " + method);
    }
    table.push_back(ApiRoute{std::move(method), std::move(path)});
  }
};

ApiServer::ApiServer(FunctionRegistry& registry, Metrics& metrics, ActivationStore& activations, ApiLimits limits,
                     OpenWhiskApi* openwhisk)
    : routes_(std::make_unique<Routes>()) {
  auto& s = routes_->server;
  auto& r = *routes_;
  s.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  s.set_payload_max_length(limits.max_body_bytes);

  r.add("PUT", "/v1/functions/{name}", [&registry](const httplib::Request& req, httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    auto body = body_of(req, res, false);
    if (!body) return;
    auto spec = parse_function_spec(*name, *body);
    if (!spec) return send_error(res, spec.error().with_reason("invalid function"));
    auto deployed = registry.deploy(*spec);
    if (!deployed) return send_error(res, deployed.error());
    send_json(res, 201, (*deployed)->describe());
  });

  r.add("GET", "/v1/functions/{name}", [&registry](const httplib::Request& req, httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    auto found = registry.find(*name);
    if (!found) return send_error(res, found.error());
    send_json(res, 200, (*found)->describe());
  });

  r.add("GET", "/v1/functions", [&registry](const httplib::Request&, httplib::Response& res) {
    json functions = json::array();
    for (const auto& f : registry.list()) {
      json entry = f->spec().to_json();
      entry["state"] = to_string(f->state());
      functions.push_back(std::move(entry));
    }
    send_json(res, 200, json{{"functions", functions}});
  });

  r.add("DELETE", "/v1/functions/{name}", [&registry, &activations](const httplib::Request& req,
                                                                     httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    if (Status removed = registry.remove(*name); !removed) return send_error(res, removed.error());
    activations.forget(*name);
    send_json(res, 200, json{{"deleted", *name}});
  });

  r.add("POST", "/v1/functions/{name}/invoke", [&registry, &activations, limits](const httplib::Request& req,
                                                                                  httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    auto params = body_of(req, res, true);
    if (!params) return;
    auto found = registry.find(*name);
    if (!found) return send_error(res, found.error());
    const std::string id = activations.new_id();
    res.set_header("X-Activation-Id", id);
    auto outcome = record_invocation(**found, *params, limits.invoke_timeout, activations, id);
    if (!outcome) return send_error(res, outcome.error(), json{{"activation_id", id}});
    send_json(res, 200, outcome->to_json());
  });

  r.add("GET", "/v1/functions/{name}/activations", [&registry, &activations](const httplib::Request& req,
                                                                             httplib::Response& res) {
    auto name = name_of(req, res);
    if (!name) return;
    auto limit = limit_of(req, res, activations.limits().per_function);
    if (!limit) return;
    const std::vector<Activation> newest = activations.list(*name, *limit);
    if (newest.empty()) {
      // No records: a function that has not run yet, or none at all.
      if (auto found = registry.find(*name); !found) return send_error(res, found.error());
    }
    json list = json::array();
    for (const Activation& a : newest) list.push_back(a.summary());
    send_json(res, 200, json{{"function", *name}, {"activations", std::move(list)}});
  });

  r.add("GET", "/v1/activations/{id}", [&activations](const httplib::Request& req, httplib::Response& res) {
    auto id = activation_id_of(req, res);
    if (!id) return;
    auto found = activations.find(*id);
    if (!found) return send_error(res, unknown_activation(*id));
    send_json(res, 200, found->to_json());
  });

  r.add("GET", "/v1/activations/{id}/logs", [&activations](const httplib::Request& req, httplib::Response& res) {
    auto id = activation_id_of(req, res);
    if (!id) return;
    auto found = activations.find(*id);
    if (!found) return send_error(res, unknown_activation(*id));
    send_json(res, 200, json{{"activation_id", found->id}, {"function", found->function}, {"logs", found->logs},
                             {"truncated", found->logs_truncated}});
  });

  r.add("GET", "/v1/memory", [&registry](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, registry.broker().to_json());
  });

  // The dashboard: a static page (no data of its own: it reads the routes
  // above, with the token it is given) that the browser may not let fetch
  // anything but this daemon (kDashboardContentSecurityPolicy).
  r.add("GET", "/", [](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_header("Content-Security-Policy", kDashboardContentSecurityPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string(dashboard_html()), "text/html; charset=utf-8");
  });

  r.add("GET", "/metrics", [&metrics, &registry](const httplib::Request&, httplib::Response& res) {
    for (const auto& f : registry.list()) metrics.set_gauge(kQemuRss, f->spec().name, double(f->rss_bytes()));
    res.status = 200;
    res.set_content(metrics.render(), "text/plain; version=0.0.4");
  });

  if (openwhisk) {
    r.openwhisk = openwhisk;
    openwhisk->add_routes([&r](std::string method, std::string path, RouteHandler handler) {
      r.add(std::move(method), std::move(path), std::move(handler));
    });
  }

  // Before routing: no route, and no 404 either, answers a stranger; but
  // the dashboard's page is served to anyone (is_public_page). OpenWhisk's
  // routes check their own key.
  s.set_pre_routing_handler([&r](const httplib::Request& req, httplib::Response& res) {
    if (r.openwhisk && OpenWhiskApi::owns(req.path)) {
      return r.openwhisk->refuse_unauthorized(req, res) ? httplib::Server::HandlerResponse::Handled
                                                        : httplib::Server::HandlerResponse::Unhandled;
    }
    const std::string given = req.get_header_value("Authorization");
    if (!r.token || is_public_page(req.method, req.path) || authorizes(given, *r.token)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("WWW-Authenticate", given.empty() ? R"(Bearer realm="hotmem")"
                                                     : R"(Bearer realm="hotmem", error="invalid_token")");
    // The request's body, if any, is left unread: the client is asked to
    // close the connection (whatever it sends next is checked the same way).
    res.set_header("Connection", "close");
    const std::string detail = given.empty()
        ? "this daemon requires an 'Authorization: Bearer <token>' header with the token of its --token-file"
        : "the Authorization header is not 'Bearer <token>' with the token of the daemon's --token-file";
    send_error(res, Error(ErrorCode::kUnauthenticated, detail).with_reason("unauthorized"));
    return httplib::Server::HandlerResponse::Handled;
  });

  // Whatever no route answered (unknown path or method, a body over the
  // limit, ...) still gets a JSON error.
  s.set_error_handler([&r](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && r.openwhisk && OpenWhiskApi::owns(req.path)) return r.openwhisk->not_found(res);
    switch (res.status) {
      case 404:
        return send_error(res, 404, ErrorCode::kNotFound, "not found",
                          fmt::format("no route for {} {}", req.method, req.path));
      case 413:
        return send_error(res, 413, ErrorCode::kInvalidArgument, "body too large",
                          "the request body exceeds the daemon's limit");
      default:
        return send_error(res, res.status, ErrorCode::kInvalidArgument, "bad request",
                          fmt::format("HTTP {} for {} {}", res.status, req.method, req.path));
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
    send_error(res, 500, ErrorCode::kInternal, "internal error", what);
  });
}

ApiServer::~ApiServer() { stop(); }

const std::vector<ApiRoute>& ApiServer::routes() const { return routes_->table; }

void ApiServer::require_token(std::string token) { routes_->token = std::move(token); }

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

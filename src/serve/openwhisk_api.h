// OpenWhisk's REST API, the part its clients (`wsk`, the `openwhisk` npm
// client) use for actions and activations, served beside HotMem's own /v1
// (docs/openwhisk.md):
//
//   GET    /api/v1/namespaces                               ["guest"]
//   GET    /api/v1/namespaces/{namespace}/actions           list
//   PUT    /api/v1/namespaces/{namespace}/actions/{name}    create (?overwrite=true: update)
//   GET    /api/v1/namespaces/{namespace}/actions/{name}    get (?code=false)
//   DELETE /api/v1/namespaces/{namespace}/actions/{name}    delete
//   POST   /api/v1/namespaces/{namespace}/actions/{name}    invoke (?blocking=true&result=true&timeout=ms)
//   GET    /api/v1/namespaces/{namespace}/activations       list (?name=&limit=&skip=&docs=true)
//   GET    /api/v1/namespaces/{namespace}/activations/{id}  one record
//   GET    .../activations/{id}/result                      its response
//   GET    .../activations/{id}/logs                        its logs
//
// An action is a HotMem function (the same FunctionRegistry as /v1), its
// OpenWhisk-only metadata kept beside it (OpenWhiskActionStore). Every
// invocation runs on a BackgroundInvoker worker: a non-blocking invoke
// answers its activation id at once, a blocking one waits at most a minute.
// Every request needs `Authorization: Basic base64(uuid:key)` with the key
// of --openwhisk-key-file; errors are OpenWhisk's {"error", "code"}.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "serve/activation_store.h"
#include "serve/api_server.h"
#include "serve/background_invoker.h"
#include "serve/function_registry.h"
#include "serve/openwhisk_action.h"
#include "serve/openwhisk_auth.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace hotmem::serve {

struct OpenWhiskConfig {
  std::optional<OpenWhiskKey> key;  // none: every /api/v1 request gets 401 saying how to give one
  std::string ns = "guest";         // the one namespace; "_" names it too
  std::size_t workers = 8;          // invocations running at once
  std::size_t max_queued = 256;     // waiting for a worker; more get 429
  Clock::duration max_wait = std::chrono::seconds(60);  // of a blocking invoke, then 202
};

// A route's handler (httplib::Server::Handler).
using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&)>;
// Registers a route in the server's table (ApiServer::Routes::add).
using RouteAdder = std::function<void(std::string method, std::string path, RouteHandler handler)>;

class OpenWhiskApi {
 public:
  OpenWhiskApi(OpenWhiskConfig config, FunctionRegistry& registry, ActivationStore& activations, ApiLimits limits);

  void add_routes(const RouteAdder& add);
  // Whether the path is under /api/v1.
  static bool owns(const std::string& path);
  // An answer to a request under /api/v1 without the key (401, OpenWhisk's
  // shape and WWW-Authenticate); false when the request may go on.
  bool refuse_unauthorized(const httplib::Request& req, httplib::Response& res) const;
  // OpenWhisk's 404 for a path under /api/v1 no route answers.
  void not_found(httplib::Response& res) const;
  // Refuses new invocations and wakes blocking invokes (before the API stops).
  void close() { invoker_.close(); }
  // Waits for the running invocations (after the registry shut down, which fails them).
  void stop() { invoker_.stop(); }

 private:
  OpenWhiskConfig config_;
  FunctionRegistry& registry_;
  ActivationStore& activations_;
  ApiLimits limits_;
  OpenWhiskActionStore actions_;
  BackgroundInvoker invoker_;
};

}  // namespace hotmem::serve

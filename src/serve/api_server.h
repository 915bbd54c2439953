// The REST API of `hotmem serve` (JSON over HTTP, cpp-httplib): a thin
// layer that checks each request, hands it to the registry or a function
// and maps the outcome to a status code. Every error is
// {"error": "<what failed>", "code": "<its kind>", "detail": "<why / what to
// do>"} with a 4xx (the client's fault) or 5xx (ours or the guest's); the
// kind decides the status (http_status, the one place that does).
//
//   PUT    /v1/functions/{name}         deploy (boots the function's VM)
//   GET    /v1/functions                list
//   GET    /v1/functions/{name}         VM, partitions, instances
//   DELETE /v1/functions/{name}         stop its VM
//   POST   /v1/functions/{name}/invoke  run it with the body as parameters; its
//                                       activation id in the answer and in X-Activation-Id
//   GET    /v1/functions/{name}/activations[?limit=N]  its newest activation records
//   GET    /v1/activations/{id}         one activation record, with its logs
//   GET    /v1/activations/{id}/logs    its logs only
//   GET    /v1/memory                   the host memory budget
//   GET    /metrics                     Prometheus text
//   GET    /                            the dashboard's page (dashboard.h)
//   /api/v1/...                         OpenWhisk's API, when given one (openwhisk_api.h)
//
// With a token (require_token), every request, /metrics included, must
// carry `Authorization: Bearer <token>`; any other gets 401 (api_auth.h).
// Only the dashboard's page is served without (is_public_page). Under
// /api/v1 OpenWhisk's Basic key is checked instead (OpenWhiskApi).
//
// docs/openapi.yaml documents every route; api_server_test.cc checks it
// against routes(), so a route is registered through Routes::add (which
// lists it) and added to the document in the same change.
#pragma once

#include <atomic>
#include <compare>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "serve/activation_store.h"
#include "serve/function_registry.h"
#include "serve/metrics.h"

namespace hotmem::serve {

// The HTTP status of an error of this kind: invalid argument 400,
// unauthenticated 401, not found 404, conflict 409, resource exhausted 429,
// internal 500, guest misbehaved 502, unavailable 503.
int http_status(ErrorCode code);

// A query parameter's whole number: 1 to `max_digits` (at most 15) decimal
// digits, nothing else; none otherwise.
std::optional<std::size_t> query_number(std::string_view text, std::size_t max_digits = 9);

// One route: its method (GET, PUT, POST, DELETE) and its path as OpenAPI
// writes it, a {parameter} standing for one path segment
// ("/v1/functions/{name}/invoke").
struct ApiRoute {
  std::string method;
  std::string path;
  auto operator<=>(const ApiRoute&) const = default;
};

struct ApiLimits {
  std::size_t max_body_bytes = 256 * 1024;
  Clock::duration invoke_timeout = std::chrono::seconds(300);
};

class OpenWhiskApi;

class ApiServer {
 public:
  // Invocations are recorded in `activations`. With `openwhisk`, its routes
  // are served too (it outlives the server).
  ApiServer(FunctionRegistry& registry, Metrics& metrics, ActivationStore& activations, ApiLimits limits = {},
            OpenWhiskApi* openwhisk = nullptr);
  ~ApiServer();

  // Binds to host:port (port 0: any free port), or to a unix socket when
  // `unix_socket` is not empty.
  Status bind(const std::string& host, int port, const std::string& unix_socket = "");
  int port() const { return port_; }
  // From now on every request must carry `Authorization: Bearer <token>`
  // (a token read_token_file accepted); others get 401 with
  // `WWW-Authenticate: Bearer`. Call before run().
  void require_token(std::string token);
  // Serves until stop(); returns at once if not bound, or if stop() came first.
  Status run();
  // Ends run() (on another thread), whenever it is called.
  void stop();
  // Every route this server answers, in the order they were registered.
  const std::vector<ApiRoute>& routes() const;

 private:
  struct Routes;
  std::unique_ptr<Routes> routes_;
  int port_ = 0;
  // httplib's stop() does nothing until its accept loop runs: a stop() just
  // after run() was called waits for the loop (or for run() to give up).
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> done_{false};
};

}  // namespace hotmem::serve

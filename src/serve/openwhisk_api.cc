#include "serve/openwhisk_api.h"

#include <algorithm>

#include <httplib.h>

#include <fmt/format.h>

#include "protocol/messages.h"
#include "serve/openwhisk_activation.h"

namespace hotmem::serve {
namespace {

constexpr const char* kNoSuchResource = "The requested resource does not exist.";
constexpr std::size_t kDefaultActivationsListed = 30;
constexpr std::size_t kMaxActivationsListed = 200;

void answer_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2, ' ', false, json::error_handler_t::replace) + "\n", "application/json");
}

// OpenWhisk's error: {"error": a sentence, "code": a transaction id (here
// a fresh random one: nothing reads it)}.
void answer_error(httplib::Response& res, int status, const std::string& error, ActivationStore& ids) {
  answer_json(res, status, json{{"error", error}, {"code", ids.new_id()}});
}

// HotMem's error in OpenWhisk's shape, its status from its kind.
void answer_error(httplib::Response& res, const Error& e, ActivationStore& ids) {
  const std::string error = e.reason().empty() ? e.message() : fmt::format("{}: {}", e.reason(), e.message());
  answer_error(res, http_status(e.code()), error, ids);
}

bool is_true(const httplib::Request& req, const char* param) {
  return req.has_param(param) && req.get_param_value(param) == "true";
}

// A whole number parameter from 0 to `max`, `absent` when not given;
// nothing when it is not one.
std::optional<std::size_t> count_param(const httplib::Request& req, const char* param, std::size_t absent,
                                       std::size_t max) {
  if (!req.has_param(param)) return absent;
  const auto n = query_number(req.get_param_value(param));
  if (!n || *n > max) return std::nullopt;
  return n;
}

// The status of a blocking invoke's answer: 200 success, 502 the action's
// fault (application or developer error), 503 when the daemon had no room
// or time for it (no instance free, memory budget exhausted, VM
// recovering: a retry later may work), 500 the daemon's other failures.
int invoke_status(const Activation& a) {
  switch (openwhisk_status_code(a)) {
    case 0: return 200;
    case 1:
    case 2: return 502;
    default:
      return a.error_code == ErrorCode::kUnavailable || a.error_code == ErrorCode::kResourceExhausted ? 503 : 500;
  }
}

}  // namespace

OpenWhiskApi::OpenWhiskApi(OpenWhiskConfig config, FunctionRegistry& registry, ActivationStore& activations,
                           ApiLimits limits)
    : config_(std::move(config)),
      registry_(registry),
      activations_(activations),
      limits_(limits),
      invoker_(config_.workers, config_.max_queued) {}

bool OpenWhiskApi::owns(const std::string& path) { return path == "/api/v1" || path.starts_with("/api/v1/"); }

bool OpenWhiskApi::refuse_unauthorized(const httplib::Request& req, httplib::Response& res) const {
  const std::string given = req.get_header_value("Authorization");
  if (config_.key && basic_authorizes(given, *config_.key)) return false;
  res.set_header("WWW-Authenticate", R"(Basic realm="OpenWhisk secure realm")");
  // The body, if any, is left unread: the client is asked to close the connection.
  res.set_header("Connection", "close");
  const std::string error =
      !config_.key ? fmt::format("The OpenWhisk API is off: start hotmem serve with --openwhisk-key-file F, F "
                                 "holding 'uuid:key' (mode 600; make one: {})",
                                 kMakeOpenWhiskKey)
      : given.empty() ? "The resource requires authentication, which was not supplied with the request"
                      : "The supplied authentication is invalid";
  answer_error(res, 401, error, activations_);
  return true;
}

void OpenWhiskApi::not_found(httplib::Response& res) const { answer_error(res, 404, kNoSuchResource, activations_); }

void OpenWhiskApi::add_routes(const RouteAdder& add) {
  // The {namespace} and {name} of a path, checked: nothing (and an answer
  // sent) when the namespace is not this daemon's or the name is not valid.
  auto path_of = [this](const httplib::Request& req, httplib::Response& res) -> std::optional<std::string> {
    const std::string ns = req.matches[1];
    if (ns != "_" && ns != config_.ns) {
      answer_error(res, 403, "The supplied authentication is not authorized to access this resource.", activations_);
      return std::nullopt;
    }
    if (req.matches.size() < 3) return std::string();
    const std::string name = req.matches[2];
    if (Status s = protocol::validate_name("action name", name); !s) {
      answer_error(res, 400, fmt::format("The name of the entity contains illegal characters: {}", s.error().message()),
                 activations_);
      return std::nullopt;
    }
    return name;
  };
  // The deployed function and its action (its metadata, or made from its
  // spec when it was deployed through /v1, or anew since).
  auto action_of = [this](const std::shared_ptr<Function>& f) {
    if (auto a = actions_.get(f->spec().name)) {
      if (auto spec = to_function_spec(*a); spec && spec->to_json() == f->spec().to_json()) return *a;
    }
    return action_of_spec(f->spec());
  };
  auto find = [this](const std::string& name, httplib::Response& res) -> std::shared_ptr<Function> {
    auto found = registry_.find(name);
    if (found) return *found;
    if (found.error().code() == ErrorCode::kNotFound) {
      answer_error(res, 404, kNoSuchResource, activations_);
    } else {
      answer_error(res, found.error(), activations_);
    }
    return nullptr;
  };
  // The function of the path's {name}; null (and an answer sent) when there is none.
  auto function_of = [=](const httplib::Request& req, httplib::Response& res) -> std::shared_ptr<Function> {
    auto name = path_of(req, res);
    return name ? find(*name, res) : nullptr;
  };
  auto body_of = [this](const httplib::Request& req, httplib::Response& res) -> std::optional<json> {
    if (req.body.empty()) return json::object();
    auto body = protocol::parse_object(req.body);
    if (!body) {
      answer_error(res, 400, fmt::format("The request content was malformed: {}", body.error().message()),
                   activations_);
      return std::nullopt;
    }
    return std::move(*body);
  };

  add("GET", "/api/v1/namespaces", [this](const httplib::Request&, httplib::Response& res) {
    answer_json(res, 200, json::array({config_.ns}));
  });

  add("GET", "/api/v1/namespaces/{namespace}/actions", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!path_of(req, res)) return;
    const auto limit = count_param(req, "limit", kMaxActivationsListed, kMaxActivationsListed);
    const auto skip = count_param(req, "skip", 0, std::size_t(1) << 30);
    if (!limit || !skip) {
      return answer_error(res, 400, "limit and skip must be whole numbers (limit at most 200).", activations_);
    }
    std::vector<OpenWhiskAction> all;
    for (const auto& f : registry_.list()) all.push_back(action_of(f));
    if (is_true(req, "count")) return answer_json(res, 200, json{{"actions", all.size()}});
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.updated_ms > b.updated_ms; });
    json list = json::array();
    const std::size_t n = *limit == 0 ? kMaxActivationsListed : *limit;
    for (std::size_t i = *skip; i < all.size() && list.size() < n; ++i) {
      list.push_back(action_brief(all[i], config_.ns));
    }
    answer_json(res, 200, list);
  });

  add("PUT", "/api/v1/namespaces/{namespace}/actions/{name}", [=, this](const httplib::Request& req,
                                                                      httplib::Response& res) {
    auto name = path_of(req, res);
    if (!name) return;
    if (req.body.empty()) return answer_error(res, 400, "The request content was malformed: no body.", activations_);
    auto body = body_of(req, res);
    if (!body) return;
    auto found = registry_.find(*name);
    if (!found && found.error().code() != ErrorCode::kNotFound) return answer_error(res, found.error(), activations_);
    std::optional<OpenWhiskAction> existing;
    if (found) {
      if (!is_true(req, "overwrite")) return answer_error(res, 409, "resource already exists", activations_);
      existing = action_of(*found);
    }
    auto action = merge_action_put(*name, *body, existing ? &*existing : nullptr, epoch_ms(WallClock::now()));
    if (!action) return answer_error(res, 400, action.error().message(), activations_);
    auto spec = to_function_spec(*action);
    if (!spec) return answer_error(res, 400, spec.error().message(), activations_);
    // Only the metadata changed (parameters, annotations, the timeout...):
    // the function goes on as it is. Otherwise a new VM boots while the old
    // one serves, then takes over (docs/openwhisk.md).
    if (!found || spec->to_json() != (*found)->spec().to_json()) {
      auto deployed = found ? registry_.replace(*spec) : registry_.deploy(*spec);
      if (!deployed) return answer_error(res, deployed.error(), activations_);
    }
    actions_.put(*action);
    answer_json(res, 200, action_json(*action, config_.ns, true));
  });

  add("GET", "/api/v1/namespaces/{namespace}/actions/{name}", [=, this](const httplib::Request& req,
                                                                      httplib::Response& res) {
    auto f = function_of(req, res);
    if (!f) return;
    const bool with_code = !(req.has_param("code") && req.get_param_value("code") == "false");
    answer_json(res, 200, action_json(action_of(f), config_.ns, with_code));
  });

  add("DELETE", "/api/v1/namespaces/{namespace}/actions/{name}", [=, this](const httplib::Request& req,
                                                                         httplib::Response& res) {
    auto f = function_of(req, res);
    if (!f) return;
    const OpenWhiskAction action = action_of(f);
    const std::string& name = f->spec().name;
    if (Status removed = registry_.remove(name); !removed) return answer_error(res, removed.error(), activations_);
    activations_.forget(name);
    actions_.erase(name);
    answer_json(res, 200, action_json(action, config_.ns, true));
  });

  add("POST", "/api/v1/namespaces/{namespace}/actions/{name}", [=, this](const httplib::Request& req,
                                                                       httplib::Response& res) {
    auto name = path_of(req, res);
    if (!name) return;
    const auto max_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config_.max_wait).count();
    const auto max_wait = static_cast<std::size_t>(max_ms);
    const auto timeout_ms = count_param(req, "timeout", max_wait, max_wait);
    if (!timeout_ms) {
      return answer_error(res, 400, fmt::format("Timeout must be number of milliseconds up to {}.", max_ms),
                          activations_);
    }
    auto body = body_of(req, res);
    if (!body) return;
    auto f = find(*name, res);
    if (!f) return;
    const OpenWhiskAction action = action_of(f);
    json params = merge_parameters(action.parameters, *body);
    const std::string id = activations_.new_id();
    const json annotations{{"path", fmt::format("{}/{}", config_.ns, *name)},
                           {"kind", action.exec.value("kind", "blackbox")},
                           {"limits", action.limits},
                           {"version", fmt::format("0.0.{}", action.version_patch)}};
    auto job = invoker_.submit([this, f, params = std::move(params), id, annotations, limit = run_limit(action)] {
      (void)record_invocation(*f, params, limits_.invoke_timeout, activations_, id, annotations, limit);
    });
    if (!job) return answer_error(res, http_status(job.error().code()), job.error().message(), activations_);
    res.set_header("x-openwhisk-activation-id", id);
    res.set_header("X-Activation-Id", id);
    const json accepted{{"activationId", id}};
    if (!is_true(req, "blocking")) return answer_json(res, 202, accepted);
    if (!invoker_.wait_for(**job, std::chrono::milliseconds(*timeout_ms))) return answer_json(res, 202, accepted);
    auto a = activations_.find(id);
    if (!a) return answer_json(res, 202, accepted);
    answer_json(res, invoke_status(*a), is_true(req, "result") ? a->result : openwhisk_activation(*a, config_.ns));
  });

  add("GET", "/api/v1/namespaces/{namespace}/activations", [=, this](const httplib::Request& req,
                                                                   httplib::Response& res) {
    if (!path_of(req, res)) return;
    const auto limit = count_param(req, "limit", kDefaultActivationsListed, kMaxActivationsListed);
    if (!limit) {
      return answer_error(res, 400, fmt::format("The value '{}' is not in the range of 0 to 200 for activations.",
                                              req.get_param_value("limit").substr(0, 32)),
                        activations_);
    }
    const auto skip = count_param(req, "skip", 0, ActivationLimits::kMaxPerFunction);
    if (!skip) return answer_error(res, 400, "skip must be a whole number.", activations_);
    ActivationFilter filter;
    filter.skip = *skip;
    filter.limit = *limit == 0 ? kMaxActivationsListed : *limit;
    if (req.has_param("name")) filter.function = req.get_param_value("name");
    for (auto [param, bound] : {std::pair{"since", &filter.since}, std::pair{"upto", &filter.upto}}) {
      if (!req.has_param(param)) continue;
      auto ms = query_number(req.get_param_value(param), 15);
      if (!ms) {
        return answer_error(res, 400, fmt::format("{} must be a time in milliseconds since the epoch.", param),
                            activations_);
      }
      *bound = WallClock::time_point(std::chrono::milliseconds(static_cast<std::int64_t>(*ms)));
    }
    const std::vector<Activation> found = activations_.list(filter);
    if (is_true(req, "count")) return answer_json(res, 200, json{{"activations", found.size()}});
    const bool docs = is_true(req, "docs");
    json list = json::array();
    for (const Activation& a : found) {
      list.push_back(docs ? openwhisk_activation(a, config_.ns) : openwhisk_activation_brief(a, config_.ns));
    }
    answer_json(res, 200, list);
  });

  // An activation's record, or parts of it.
  auto activation_route = [=, this](std::function<json(const Activation&)> answer) {
    return [=, this](const httplib::Request& req, httplib::Response& res) {
      if (!path_of(req, res)) return;
      const std::string id = req.matches[2];
      if (!ActivationStore::is_id(id)) return answer_error(res, 400, "The activation id is not valid.", activations_);
      auto a = activations_.find(id);
      if (!a) return answer_error(res, 404, kNoSuchResource, activations_);
      answer_json(res, 200, answer(*a));
    };
  };
  add("GET", "/api/v1/namespaces/{namespace}/activations/{id}",
      activation_route([this](const Activation& a) { return openwhisk_activation(a, config_.ns); }));
  add("GET", "/api/v1/namespaces/{namespace}/activations/{id}/result",
      activation_route([](const Activation& a) { return openwhisk_response(a); }));
  add("GET", "/api/v1/namespaces/{namespace}/activations/{id}/logs",
      activation_route([](const Activation& a) { return json{{"logs", a.logs}}; }));
}

}  // namespace hotmem::serve

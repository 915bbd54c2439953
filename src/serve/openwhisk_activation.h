// An activation record (activation.h) as OpenWhisk answers it: the full
// record (GET .../activations/{id}, a blocking invoke's answer), the list's
// brief, and the "extended" response {"status", "success", "result"}.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "serve/activation.h"

namespace hotmem::serve {

using nlohmann::json;

// OpenWhisk's status code of an activation: 0 success, 1 application
// error, 2 action developer error, 3 whisk internal error.
int openwhisk_status_code(const Activation& a);

// {"status": OpenWhisk's word, "success", "result"}.
json openwhisk_response(const Activation& a);

// The full record: namespace, name, subject, activationId, start, end,
// duration, response, logs, annotations (the caller's, with waitTime and,
// on a cold start, initTime), version, publish.
json openwhisk_activation(const Activation& a, const std::string& ns);

// As a list without ?docs=true holds it: no response, no logs, a statusCode.
json openwhisk_activation_brief(const Activation& a, const std::string& ns);

}  // namespace hotmem::serve

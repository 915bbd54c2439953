#include "serve/openwhisk_activation.h"

namespace hotmem::serve {
namespace {

// The caller's annotations (an object: OpenWhisk's [{"key", "value"}] is
// made of it) and the record's times.
json annotations_of(const Activation& a) {
  json list = json::array();
  for (const auto& [key, value] : a.annotations.items()) {
    if (key != "version") list.push_back(json{{"key", key}, {"value", value}});
  }
  list.push_back(json{{"key", "waitTime"}, {"value", a.waited.count()}});
  if (a.cold && a.status == kActivationSuccess) list.push_back(json{{"key", "initTime"}, {"value", a.init.count()}});
  list.push_back(json{{"key", "timeout"}, {"value", false}});
  return list;
}

}  // namespace

int openwhisk_status_code(const Activation& a) {
  if (a.status == kActivationSuccess) return 0;
  if (a.status == kActivationApplicationError) return 1;
  if (a.status == kActivationDeveloperError) return 2;
  return 3;
}

json openwhisk_response(const Activation& a) {
  static const char* const kWords[] = {"success", "application error", "action developer error",
                                       "whisk internal error"};
  const int code = openwhisk_status_code(a);
  return json{{"status", kWords[code]}, {"success", code == 0}, {"result", a.result}};
}

json openwhisk_activation_brief(const Activation& a, const std::string& ns) {
  return json{{"namespace", ns},
              {"name", a.function},
              {"version", a.annotations.value("version", "0.0.1")},
              {"publish", false},
              {"annotations", annotations_of(a)},
              {"activationId", a.id},
              {"start", epoch_ms(a.start)},
              {"end", epoch_ms(a.end)},
              {"duration", epoch_ms(a.end) - epoch_ms(a.start)},
              {"statusCode", openwhisk_status_code(a)}};
}

json openwhisk_activation(const Activation& a, const std::string& ns) {
  json j = openwhisk_activation_brief(a, ns);
  j.erase("statusCode");
  j["subject"] = ns;
  j["response"] = openwhisk_response(a);
  j["logs"] = a.logs;
  return j;
}

}  // namespace hotmem::serve

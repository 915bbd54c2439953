#include "protocol/messages.h"

#include <fmt/format.h>

namespace hotmem::protocol {
namespace {

struct TooDeep {};

Error field_error(std::string_view key, std::string_view what) {
  return Error(fmt::format("field '{}' {}", key, what));
}

const json* find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

Result<json> parse_object(std::string_view payload) {
  json value;
  try {
    value = json::parse(
        payload.begin(), payload.end(),
        [](int depth, json::parse_event_t event, json&) {
          // A container's start is reported at its parent's depth.
          const bool opens = event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
          if (depth + (opens ? 1 : 0) > kMaxJsonDepth) throw TooDeep{};
          return true;
        },
        /*allow_exceptions=*/true);
  } catch (const TooDeep&) {
    return Error(fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
  } catch (const json::exception& e) {
    return Error(fmt::format("malformed JSON: {}", e.what()));
  }
  if (!value.is_object()) return Error("expected a JSON object");
  return value;
}

std::string encode_request(const Request& request) {
  return json{{"id", request.id}, {"type", request.type}, {"body", request.body}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

std::string encode_response(const Response& response) {
  json j{{"id", response.id}, {"ok", response.ok}};
  if (response.ok) {
    j["body"] = response.body;
  } else {
    j["error"] = response.error;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Request> decode_request(std::string_view payload) {
  auto j = parse_object(payload);
  if (!j) return j.error();
  Request r;
  auto id = get_u64(*j, "id");
  if (!id) return id.error();
  r.id = *id;
  auto type = get_string(*j, "type", 64);
  if (!type) return type.error();
  r.type = std::move(*type);
  if (has(*j, "body")) {
    auto body = get_object(*j, "body");
    if (!body) return body.error();
    r.body = std::move(*body);
  }
  return r;
}

Result<Response> decode_response(std::string_view payload) {
  auto j = parse_object(payload);
  if (!j) return j.error();
  Response r;
  auto id = get_u64(*j, "id");
  if (!id) return id.error();
  r.id = *id;
  auto ok = get_bool(*j, "ok");
  if (!ok) return ok.error();
  r.ok = *ok;
  if (r.ok) {
    if (has(*j, "body")) {
      auto body = get_object(*j, "body");
      if (!body) return body.error();
      r.body = std::move(*body);
    }
  } else {
    auto error = get_string(*j, "error", 4096);
    if (!error) return error.error();
    r.error = std::move(*error);
  }
  return r;
}

bool has(const json& object, std::string_view key) { return find(object, key) != nullptr; }

Result<std::uint64_t> get_u64(const json& object, std::string_view key, std::uint64_t max) {
  const json* v = find(object, key);
  if (!v) return field_error(key, "is missing");
  if (!v->is_number_integer()) return field_error(key, "must be a non-negative integer");
  if (!v->is_number_unsigned() && v->get<std::int64_t>() < 0) return field_error(key, "must not be negative");
  const auto n = v->get<std::uint64_t>();
  if (n > max) return field_error(key, fmt::format("is {}, at most {} allowed", n, max));
  return n;
}

Result<std::int64_t> get_i64(const json& object, std::string_view key, std::int64_t min,
                             std::int64_t max) {
  const json* v = find(object, key);
  if (!v) return field_error(key, "is missing");
  if (!v->is_number_integer()) return field_error(key, "must be an integer");
  // An unsigned value above INT64_MAX would read as negative: compare it unsigned.
  if (v->is_number_unsigned() && (max < 0 || v->get<std::uint64_t>() > static_cast<std::uint64_t>(max))) {
    return field_error(key, fmt::format("is out of range [{}, {}]", min, max));
  }
  const auto n = v->get<std::int64_t>();
  if (n < min || n > max) return field_error(key, fmt::format("is {}, out of range [{}, {}]", n, min, max));
  return n;
}

Result<double> get_number(const json& object, std::string_view key, double min, double max) {
  const json* v = find(object, key);
  if (!v) return field_error(key, "is missing");
  if (!v->is_number()) return field_error(key, "must be a number");
  const auto n = v->get<double>();
  // Written so that NaN (which JSON text cannot carry, but a json value can) is out of range too.
  if (!(n >= min && n <= max)) return field_error(key, fmt::format("is {}, out of range [{}, {}]", n, min, max));
  return n;
}

Result<bool> get_bool(const json& object, std::string_view key) {
  const json* v = find(object, key);
  if (!v) return field_error(key, "is missing");
  if (!v->is_boolean()) return field_error(key, "must be true or false");
  return v->get<bool>();
}

Result<std::string> get_string(const json& object, std::string_view key, std::size_t max_bytes) {
  const json* v = find(object, key);
  if (!v) return field_error(key, "is missing");
  if (!v->is_string()) return field_error(key, "must be a string");
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_bytes) return field_error(key, fmt::format("is longer than {} bytes", max_bytes));
  return s;
}

Result<std::vector<std::string>> get_string_list(const json& object, std::string_view key,
                                                 std::size_t max_items, std::size_t max_item_bytes) {
  const json* v = find(object, key);
  if (!v) return field_error(key, "is missing");
  if (!v->is_array()) return field_error(key, "must be a list of strings");
  if (v->size() > max_items) return field_error(key, fmt::format("has more than {} items", max_items));
  std::vector<std::string> out;
  for (const json& item : *v) {
    if (!item.is_string()) return field_error(key, "must contain only strings");
    if (item.get_ref<const std::string&>().size() > max_item_bytes) {
      return field_error(key, fmt::format("has an item longer than {} bytes", max_item_bytes));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> get_string_map(const json& object, std::string_view key,
                                                          std::size_t max_items,
                                                          std::size_t max_item_bytes) {
  const json* v = find(object, key);
  if (!v) return field_error(key, "is missing");
  if (!v->is_object()) return field_error(key, "must be an object of strings");
  if (v->size() > max_items) return field_error(key, fmt::format("has more than {} entries", max_items));
  std::map<std::string, std::string> out;
  for (const auto& [k, item] : v->items()) {
    if (!item.is_string()) return field_error(key, fmt::format("entry '{}' must be a string", k));
    if (k.size() > max_item_bytes || item.get_ref<const std::string&>().size() > max_item_bytes) {
      return field_error(key, fmt::format("has an entry longer than {} bytes", max_item_bytes));
    }
    out.emplace(k, item.get<std::string>());
  }
  return out;
}

Result<json> get_object(const json& object, std::string_view key) {
  const json* v = find(object, key);
  if (!v) return field_error(key, "is missing");
  if (!v->is_object()) return field_error(key, "must be an object");
  return *v;
}

Status validate_name(std::string_view what, std::string_view name) {
  const bool length_ok = !name.empty() && name.size() <= 64;
  bool chars_ok = length_ok && name.front() != '.';
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '_' || c == '.' || c == '-';
    chars_ok = chars_ok && allowed;
  }
  if (!chars_ok) {
    return Error(fmt::format("invalid {} '{}': use 1-64 letters, digits, '_', '.' or '-', not starting with '.'",
                             what, name.substr(0, 80)));
  }
  return ok_status();
}

}  // namespace hotmem::protocol

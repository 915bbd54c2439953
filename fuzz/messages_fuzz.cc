// The JSON message layer (protocol/messages.h) on a frame's payload from the
// guest. Invariants:
// - a decoded request or response encodes and decodes back to itself, and
//   its fields are within their limits;
// - parse_object yields an object no deeper than kMaxJsonDepth;
// - each checked accessor, on every field of that object and with tight and
//   loose bounds, succeeds exactly when the value has the type and range
//   asked for, and then returns it unchanged;
// - validate_name accepts exactly the names its comment describes.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "protocol/messages.h"

namespace hotmem::protocol {
namespace {

int depth(const json& value) {
  int deepest = 0;
  if (value.is_structured()) {
    for (const json& item : value) deepest = std::max(deepest, depth(item));
  }
  return deepest + (value.is_structured() ? 1 : 0);
}

void check_request(std::string_view payload) {
  auto request = decode_request(payload);
  if (!request) return;
  HOTMEM_FUZZ_CHECK(request->type.size() <= 64);
  HOTMEM_FUZZ_CHECK(request->body.is_object());
  auto again = decode_request(encode_request(*request));
  HOTMEM_FUZZ_CHECK(again.ok());
  HOTMEM_FUZZ_CHECK(again->id == request->id && again->type == request->type && again->body == request->body);
}

void check_response(std::string_view payload) {
  auto response = decode_response(payload);
  if (!response) return;
  HOTMEM_FUZZ_CHECK(response->body.is_object());
  HOTMEM_FUZZ_CHECK(response->error.size() <= 4096);
  HOTMEM_FUZZ_CHECK(response->ok || response->body.empty());
  auto again = decode_response(encode_response(*response));
  HOTMEM_FUZZ_CHECK(again.ok());
  HOTMEM_FUZZ_CHECK(again->id == response->id && again->ok == response->ok && again->error == response->error &&
                    again->body == response->body);
}

// Is `value` an integer in [min, max]? Read without the accessors' code.
bool integer_within(const json& value, std::int64_t min, std::int64_t max) {
  if (value.is_number_unsigned()) {
    const auto n = value.get<std::uint64_t>();
    return max >= 0 && n <= static_cast<std::uint64_t>(max) && (min <= 0 || n >= static_cast<std::uint64_t>(min));
  }
  if (!value.is_number_integer()) return false;
  const auto n = value.get<std::int64_t>();
  return n >= min && n <= max;
}

bool string_within(const json& value, std::size_t max_bytes) {
  return value.is_string() && value.get_ref<const std::string&>().size() <= max_bytes;
}

void check_u64(const json& object, const std::string& key, const json& value, std::uint64_t max) {
  auto n = get_u64(object, key, max);
  const bool expected = value.is_number_unsigned()
                            ? value.get<std::uint64_t>() <= max
                            : value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
                                  static_cast<std::uint64_t>(value.get<std::int64_t>()) <= max;
  HOTMEM_FUZZ_CHECK(n.ok() == expected);
  if (n) HOTMEM_FUZZ_CHECK(*n <= max && json(*n) == value);
}

void check_i64(const json& object, const std::string& key, const json& value, std::int64_t min, std::int64_t max) {
  auto n = get_i64(object, key, min, max);
  HOTMEM_FUZZ_CHECK(n.ok() == integer_within(value, min, max));
  if (n) HOTMEM_FUZZ_CHECK(*n >= min && *n <= max && json(*n) == value);
}

void check_number(const json& object, const std::string& key, const json& value, double min, double max) {
  auto n = get_number(object, key, min, max);
  const bool expected = value.is_number() && value.get<double>() >= min && value.get<double>() <= max;
  HOTMEM_FUZZ_CHECK(n.ok() == expected);
  if (n) HOTMEM_FUZZ_CHECK(*n == value.get<double>());
}

void check_string(const json& object, const std::string& key, const json& value, std::size_t max_bytes) {
  auto s = get_string(object, key, max_bytes);
  HOTMEM_FUZZ_CHECK(s.ok() == string_within(value, max_bytes));
  if (s) HOTMEM_FUZZ_CHECK(*s == value.get_ref<const std::string&>());
}

void check_string_list(const json& object, const std::string& key, const json& value, std::size_t max_items,
                       std::size_t max_item_bytes) {
  auto list = get_string_list(object, key, max_items, max_item_bytes);
  bool expected = value.is_array() && value.size() <= max_items;
  for (const json& item : value) expected = expected && string_within(item, max_item_bytes);
  HOTMEM_FUZZ_CHECK(list.ok() == expected);
  if (list) HOTMEM_FUZZ_CHECK(json(*list) == value);
}

void check_string_map(const json& object, const std::string& key, const json& value, std::size_t max_items,
                      std::size_t max_item_bytes) {
  auto map = get_string_map(object, key, max_items, max_item_bytes);
  bool expected = value.is_object() && value.size() <= max_items;
  for (const auto& [k, item] : value.items()) {  // none unless an object
    expected = expected && k.size() <= max_item_bytes && string_within(item, max_item_bytes);
  }
  HOTMEM_FUZZ_CHECK(map.ok() == expected);
  if (map) HOTMEM_FUZZ_CHECK(json(*map) == value);
}

void check_accessors(const json& object) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  for (const auto& [key, value] : object.items()) {
    HOTMEM_FUZZ_CHECK(has(object, key));
    check_u64(object, key, value, UINT64_MAX);
    check_u64(object, key, value, 1000);
    check_i64(object, key, value, kMin, kMax);
    check_i64(object, key, value, 0, 1023);
    check_i64(object, key, value, -1000, -1);
    check_i64(object, key, value, 100, 599);
    check_number(object, key, value, 0, 86'400'000);
    check_number(object, key, value, -1e308, 1e308);
    check_string(object, key, value, kMaxStringBytes);
    check_string(object, key, value, 8);
    check_string_list(object, key, value, 4096, 4096);
    check_string_list(object, key, value, 2, 8);
    check_string_map(object, key, value, 4096, 4096);
    check_string_map(object, key, value, 2, 8);
    auto b = get_bool(object, key);
    HOTMEM_FUZZ_CHECK(b.ok() == value.is_boolean());
    if (b) HOTMEM_FUZZ_CHECK(json(*b) == value);
    auto o = get_object(object, key);
    HOTMEM_FUZZ_CHECK(o.ok() == value.is_object());
    if (o) HOTMEM_FUZZ_CHECK(*o == value);
  }
  // A key the object lacks is an error for every accessor.
  if (!object.contains("\x01missing")) {
    HOTMEM_FUZZ_CHECK(!has(object, "\x01missing") && !get_u64(object, "\x01missing").ok() &&
                      !get_string(object, "\x01missing").ok() && !get_object(object, "\x01missing").ok());
  }
}

void check_name(std::string_view name) {
  bool expected = !name.empty() && name.size() <= 64 && name.front() != '.';
  for (char c : name) {
    expected = expected && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                            c == '_' || c == '.' || c == '-');
  }
  HOTMEM_FUZZ_CHECK(validate_name("name", name).ok() == expected);
}

}  // namespace
}  // namespace hotmem::protocol

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotmem::protocol;
  const std::string_view payload = hotmem::fuzz::as_text(data, size);
  check_request(payload);
  check_response(payload);
  check_name(payload);
  auto object = parse_object(payload);
  if (object) {
    HOTMEM_FUZZ_CHECK(object->is_object());
    HOTMEM_FUZZ_CHECK(depth(*object) <= kMaxJsonDepth);
    check_accessors(*object);
    for (const auto& [key, value] : object->items()) {
      if (value.is_string()) check_name(value.get_ref<const std::string&>());
    }
  }
  return 0;
}

// Who may use the OpenWhisk API (/api/v1, openwhisk_api.h): clients that
// present the daemon's OpenWhisk key, `uuid:key` as OpenWhisk's `wsk` and
// npm client send it: `Authorization: Basic base64(uuid:key)`.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hotmem::serve {

struct OpenWhiskKey {
  std::string uuid;  // 8-4-4-4-12 hex digits
  std::string key;   // 64 letters and digits
  // "uuid:key", as the clients are given it (and base64 it).
  std::string joined() const { return uuid + ":" + key; }
};

// How to make a key file; the errors of read_openwhisk_key_file end with it.
inline constexpr std::string_view kMakeOpenWhiskKey =
    "printf '%s:%s\\n' \"$(cat /proc/sys/kernel/random/uuid)\" \"$(tr -dc A-Za-z0-9 </dev/urandom | head -c 64)\" "
    "> ow.key; chmod 600 ow.key";

// `uuid:key` from a text: UUID 8-4-4-4-12 hex digits, key 64 letters or
// digits (OpenWhisk's own form).
Result<OpenWhiskKey> parse_openwhisk_key(std::string_view text);

// The key on the first line of `path`, refused as read_secret_line refuses
// a file (missing, readable by group or others, ...) or when it is not
// `uuid:key`.
Result<OpenWhiskKey> read_openwhisk_key_file(const std::filesystem::path& path);

// The bytes of a base64 text (RFC 4648, with or without its '=' padding);
// an error on any other character.
Result<std::string> base64_decode(std::string_view text);

// Whether an Authorization header value is "Basic base64(uuid:key)" of
// `key` (the scheme case-insensitive), compared in constant time
// (tokens_equal).
bool basic_authorizes(std::string_view authorization, const OpenWhiskKey& key);

}  // namespace hotmem::serve

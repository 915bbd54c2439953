#include "serve/openwhisk_auth.h"

#include <algorithm>

#include <fmt/format.h>

#include "serve/api_auth.h"

namespace hotmem::serve {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

Result<OpenWhiskKey> parse_openwhisk_key(std::string_view text) {
  const std::size_t colon = text.find(':');
  const std::string_view uuid = text.substr(0, colon);
  const std::string_view key = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (colon == std::string_view::npos || !is_uuid(uuid) || key.size() != 64 ||
      !std::all_of(key.begin(), key.end(), is_alnum)) {
    return Error(ErrorCode::kInvalidArgument,
                 "an OpenWhisk key is 'UUID:KEY', a UUID (8-4-4-4-12 hex digits), a colon and 64 letters or "
                 "digits; make one: " + std::string(kMakeOpenWhiskKey));
  }
  return OpenWhiskKey{std::string(uuid), std::string(key)};
}

Result<OpenWhiskKey> read_openwhisk_key_file(const std::filesystem::path& path) {
  auto text = read_secret_line(path, "OpenWhisk key file");
  if (!text) return text.error();
  auto key = parse_openwhisk_key(*text);
  if (!key) return key.error().context(fmt::format("OpenWhisk key file {}", path.string()));
  return key;
}

Result<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = base64_value(c);
    if (v < 0) return Error(ErrorCode::kInvalidArgument, "not base64");
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if ((count += 6) >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  if (count >= 6) return Error(ErrorCode::kInvalidArgument, "not base64: a character too many");
  return out;
}

bool basic_authorizes(std::string_view authorization, const OpenWhiskKey& key) {
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size() || authorization.size() > 2 * kMaxTokenBytes) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) return false;
  }
  std::string_view encoded = authorization.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  auto decoded = base64_decode(encoded);
  return decoded && tokens_equal(*decoded, key.joined());
}

}  // namespace hotmem::serve

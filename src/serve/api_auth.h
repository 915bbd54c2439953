// Who may use the REST API. On loopback or a unix socket, whoever can reach
// it (the host's users; the socket file's permissions). Anywhere else, only
// clients that present the daemon's token: `Authorization: Bearer <token>`.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hotmem::serve {

// The longest token accepted; every comparison covers this many bytes.
inline constexpr std::size_t kMaxTokenBytes = 1024;

// Whether `host` (as given to --host) names a loopback address only:
// localhost, 127.0.0.0/8, ::1 (bracketed or not) or ::ffff:127.x.y.z.
bool is_loopback_host(std::string_view host);

// The first line of a secret's file (`what`: "token file", ...), trimmed of
// white space, possibly empty. Refused when the file is missing, not a
// regular file, or readable or writable by group or others.
Result<std::string> read_secret_line(const std::filesystem::path& path, std::string_view what);

// The token in `path`: its first line, trimmed of white space. Refused as
// read_secret_line refuses a file, or when the token is empty or longer than
// kMaxTokenBytes.
Result<std::string> read_token_file(const std::filesystem::path& path);

// Whether `given` equals `token`, in a time that depends on neither: every
// byte of a kMaxTokenBytes window is compared, with no early exit, and the
// lengths are compared the same way.
bool tokens_equal(std::string_view given, std::string_view token);

// Whether an Authorization header value is "Bearer <token>" (the scheme is
// case-insensitive, RFC 7235).
bool authorizes(std::string_view authorization, std::string_view token);

// Whether a request is for the dashboard's page (GET or HEAD of "/"), which
// needs no token: it is the same static page for everyone and holds no
// data; what it shows it reads from the API with the token the user gives
// it. A browser sends no Authorization header when it opens a URL, so the
// page could not be opened at all otherwise.
bool is_public_page(std::string_view method, std::string_view path);

}  // namespace hotmem::serve

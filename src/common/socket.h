// Unix stream sockets with bounded waits: every read and write takes a
// deadline, so a silent or stuck peer is an error, never a hang.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace hotmem {

// Whether `path` fits a unix socket address (at most 107 bytes); the error
// says how long it is.
Status check_unix_socket_path(const std::filesystem::path& path);

// Connects to a listening socket, retrying while it does not exist yet or
// refuses, until the deadline. `alive` (optional) is checked between tries:
// when it returns false the wait ends early (e.g. the server process died).
Result<UniqueFd> connect_unix(const std::filesystem::path& path, Deadline deadline,
                              const std::function<bool()>& alive = {});

// Creates a listening socket at `path` (replacing a stale socket file).
Result<UniqueFd> listen_unix(const std::filesystem::path& path, int backlog = 8);

// Accepts one connection, waiting until the deadline.
Result<UniqueFd> accept_unix(int listen_fd, Deadline deadline);

Status write_all(int fd, std::string_view data, Deadline deadline);

// Waits until `fd` has something to read (or its peer closed): false when
// the deadline passes first.
Result<bool> wait_readable(int fd, const Deadline& deadline);

// Reads what is available (at least one byte) or 0 at end of stream.
Result<std::size_t> read_some(int fd, std::span<char> buffer, Deadline deadline);

}  // namespace hotmem

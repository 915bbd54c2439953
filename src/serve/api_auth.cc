#include "serve/api_auth.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/unique_fd.h"

namespace hotmem::serve {
namespace {

constexpr std::size_t kMaxTokenFileBytes = 64 * 1024;
constexpr std::string_view kSpaces = " \t\r\n";

std::string_view trimmed(std::string_view s) {
  const std::size_t first = s.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpaces) - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (iequals(host, "localhost")) return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string address(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return false;
}

Result<std::string> read_secret_line(const std::filesystem::path& path, std::string_view what) {
  const std::string where = fmt::format("{} {}", what, path.string());
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error(fmt::format("cannot open the {}: {}", where, std::strerror(errno)));
  // The mode of what was opened, not of whatever the path names by now.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error(fmt::format("cannot inspect the {}: {}", where, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return Error(fmt::format("the {} is not a regular file", where));
  if ((st.st_mode & 077) != 0) {
    return Error(fmt::format("the {} has mode {:04o}: group and others must have no access to a secret; "
                             "chmod 600 {}",
                             where, st.st_mode & 07777, path.string()));
  }
  std::string text(kMaxTokenFileBytes, '\0');
  std::size_t filled = 0;
  for (;;) {
    const ssize_t n = ::read(fd.get(), text.data() + filled, text.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error(fmt::format("cannot read the {}: {}", where, std::strerror(errno)));
    if (n == 0 || (filled += static_cast<std::size_t>(n)) == text.size()) break;
  }
  text.resize(filled);
  return std::string(trimmed(std::string_view(text).substr(0, text.find('\n'))));
}

Result<std::string> read_token_file(const std::filesystem::path& path) {
  const std::string where = fmt::format("token file {}", path.string());
  auto line = read_secret_line(path, "token file");
  if (!line) return line.error();
  const std::string& token = *line;
  if (token.empty()) {
    return Error(fmt::format("the {} holds no token on its first line: write one, e.g. "
                             "`openssl rand -hex 32 > {}`",
                             where, path.string()));
  }
  if (token.size() > kMaxTokenBytes) {
    return Error(fmt::format("the {} holds a token of {} bytes: at most {} are accepted", where, token.size(),
                             kMaxTokenBytes));
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') {
      return Error(fmt::format("the {} holds a token with a space or a byte that is not printable ASCII: an "
                               "Authorization header could not carry it",
                               where));
    }
  }
  return token;
}

bool tokens_equal(std::string_view given, std::string_view token) {
  // Every byte of the window is compared, past either end as 0, and the
  // differences are only ever OR-ed together: the time taken does not
  // depend on where (or whether) the strings differ, nor on their lengths.
  // Volatile keeps the compiler from leaving the loop once it differs.
  volatile std::size_t differs = given.size() ^ token.size();
  for (std::size_t i = 0; i < kMaxTokenBytes; ++i) {
    const auto a = static_cast<unsigned char>(i < given.size() ? given[i] : 0);
    const auto b = static_cast<unsigned char>(i < token.size() ? token[i] : 0);
    differs = differs | static_cast<std::size_t>(a ^ b);
  }
  return differs == 0;
}

bool authorizes(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer";
  if (authorization.size() <= kScheme.size() || authorization[kScheme.size()] != ' ' ||
      !iequals(authorization.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  return tokens_equal(trimmed(authorization.substr(kScheme.size())), token);
}

bool is_public_page(std::string_view method, std::string_view path) {
  return path == "/" && (method == "GET" || method == "HEAD");
}

}  // namespace hotmem::serve

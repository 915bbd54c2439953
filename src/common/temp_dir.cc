#include "common/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace hotmem {

Result<TempDir> TempDir::create(const std::filesystem::path& parent, std::string_view prefix) {
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  std::string tmpl = (parent / fmt::format("{}XXXXXX", prefix)).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Error(fmt::format("cannot create a directory like {}: {}", tmpl, std::strerror(errno)));
  }
  return TempDir(std::filesystem::path(tmpl));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir old(std::move(*this));
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace hotmem

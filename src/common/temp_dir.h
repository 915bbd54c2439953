// A directory that is removed, with everything in it, when its owner goes.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.h"

namespace hotmem {

class TempDir {
 public:
  // Creates <parent>/<prefix>XXXXXX.
  static Result<TempDir> create(const std::filesystem::path& parent, std::string_view prefix);
  // Takes ownership of an existing directory.
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory on destruction (e.g. to inspect a failed boot).
  std::filesystem::path release() { return std::exchange(path_, {}); }

 private:
  std::filesystem::path path_;
};

}  // namespace hotmem

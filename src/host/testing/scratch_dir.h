// Test-only: a scratch directory for tests that make run directories, state
// or sockets of their own: under the checked runtime root (runtime_root.h),
// as the real ones are, never in a shared /tmp. Removed when it goes.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "host/runtime_root.h"

namespace hotmem::host {

inline Result<TempDir> scratch_dir(std::string_view prefix) {
  auto root = runtime_root();
  if (!root) return root.error();
  return TempDir::create(*root / "test", fmt::format("{}-", prefix));
}

// A fixture whose every test gets a scratch directory of its own, dir().
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = scratch_dir(::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name());
    ASSERT_TRUE(made) << made.error().message();
    dir_.emplace(std::move(*made));
  }
  const std::filesystem::path& dir() const { return dir_->path(); }

 private:
  std::optional<TempDir> dir_;
};

}  // namespace hotmem::host

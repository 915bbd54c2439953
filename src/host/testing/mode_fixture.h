// Test-only: the fixture the memory modes' unit tests share: a mode attached to a fake
// VMM with room for three instances of 200 MiB (256 MiB partitions).
#pragma once

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "host/memory_mode.h"
#include "host/testing/fake_vmm.h"

namespace hotmem::host {

template <class Mode>
class ModeTest : public ::testing::Test {
 protected:
  static constexpr Clock::duration kTimeout = std::chrono::seconds(2);

  void SetUp() override {
    mode_.configure(config_, shape_);
    fake_.add_devices(config_.memory_devices);
    Status attached = mode_.attach(fake_, config_.memory_devices, shape_);
    ASSERT_TRUE(attached.ok()) << attached.error().message();
  }

  // begin + finish, both required to succeed.
  Grant granted(const std::string& instance) {
    auto grant = mode_.begin_grant(instance);
    EXPECT_TRUE(grant.ok()) << grant.error().message();
    if (!grant) return Grant{};
    auto plugged = mode_.finish_grant(*grant, kTimeout);
    EXPECT_TRUE(plugged.ok()) << plugged.error().message();
    return *grant;
  }

  FunctionShape shape_{3, 200 * kMiB};
  FunctionVmConfig config_;
  vmm::FakeVmm fake_;  // outlives mode_, which points at it
  Mode mode_;
};

inline bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace hotmem::host

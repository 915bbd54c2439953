#include "vmm/qemu/size_changes.h"

#include <gtest/gtest.h>

namespace hotmem::vmm::qemu {
namespace {

using std::chrono::microseconds;
using RealTime = SizeChanges::RealTime;

RealTime real_time_us(std::int64_t us) { return RealTime(std::chrono::duration_cast<RealTime::duration>(microseconds(us))); }

QmpEvent size_change_event(const std::string& id, std::uint64_t size, std::int64_t us) {
  return QmpEvent{"MEMORY_DEVICE_SIZE_CHANGE", {{"id", id}, {"size", size}, {"qom-path", "/machine/peripheral/" + id}},
                  real_time_us(us)};
}

const auto kUnplugged = [](std::uint64_t size) { return size == 0; };

TEST(SizeChanges, TheFirstChangeSinceTheRequestThatReachesTheGoalDatesIt) {
  SizeChanges changes;
  changes.requested("vmem1", real_time_us(1000));
  EXPECT_TRUE(changes.add(size_change_event("vmem1", 384, 1500)));
  EXPECT_TRUE(changes.add(size_change_event("vmem1", 0, 2500)));
  EXPECT_EQ(changes.take_first("vmem1", kUnplugged), real_time_us(2500));
  // Used up: a second wait for the same goal finds nothing.
  EXPECT_FALSE(changes.take_first("vmem1", kUnplugged).has_value());
}

TEST(SizeChanges, AChangeBeforeTheLastRequestIsAnEarlierRequestsAndDropped) {
  SizeChanges changes;
  changes.requested("vmem1", real_time_us(1000));
  ASSERT_TRUE(changes.add(size_change_event("vmem1", 0, 900)));  // a late event of the previous unplug
  EXPECT_FALSE(changes.take_first("vmem1", kUnplugged).has_value());
  EXPECT_EQ(changes.size(), 0u);
}

TEST(SizeChanges, OtherDevicesChangesStayForTheirOwnWaits) {
  SizeChanges changes;
  changes.requested("vmem1", real_time_us(1000));
  changes.requested("vmem2", real_time_us(1000));
  changes.add(size_change_event("vmem2", 0, 1200));
  changes.add(size_change_event("vmem1", 0, 1400));
  EXPECT_EQ(changes.take_first("vmem1", kUnplugged), real_time_us(1400));
  EXPECT_EQ(changes.take_first("vmem2", kUnplugged), real_time_us(1200));
}

TEST(SizeChanges, MalformedOrForeignEventsAreIgnored) {
  SizeChanges changes;
  EXPECT_FALSE(changes.add(QmpEvent{"BALLOON_CHANGE", {{"actual", 1}}, real_time_us(1)}));
  EXPECT_FALSE(changes.add(QmpEvent{"MEMORY_DEVICE_SIZE_CHANGE", {{"id", "vmem1"}, {"size", 0}}, std::nullopt}));
  EXPECT_FALSE(changes.add(QmpEvent{"MEMORY_DEVICE_SIZE_CHANGE", {{"size", 0}, {"qom-path", "/x"}}, real_time_us(1)}));
  EXPECT_FALSE(changes.add(QmpEvent{"MEMORY_DEVICE_SIZE_CHANGE", {{"id", "vmem1"}, {"size", -1}}, real_time_us(1)}));
  EXPECT_FALSE(changes.add(QmpEvent{"MEMORY_DEVICE_SIZE_CHANGE", {{"id", 7}, {"size", 0}}, real_time_us(1)}));
  EXPECT_FALSE(changes.add(QmpEvent{"MEMORY_DEVICE_SIZE_CHANGE", nlohmann::json::array(), real_time_us(1)}));
  EXPECT_EQ(changes.size(), 0u);
}

TEST(SizeChanges, KeepsAtMostTheNewestKMaxKept) {
  SizeChanges changes;
  for (std::size_t i = 0; i < SizeChanges::kMaxKept + 10; ++i) {
    changes.add(size_change_event("vmem1", 0, static_cast<std::int64_t>(i)));
  }
  EXPECT_EQ(changes.size(), SizeChanges::kMaxKept);
  EXPECT_EQ(changes.take_first("vmem1", kUnplugged), real_time_us(10));
}

}  // namespace
}  // namespace hotmem::vmm::qemu

// QEMU's MEMORY_DEVICE_SIZE_CHANGE events, kept per device, to date when a
// device's size reached a goal: the event carries the time of the change
// even when QEMU sends it late (at most one a second per device). Pure
// logic, no I/O; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "vmm/qemu/qmp_decoder.h"

namespace hotmem::vmm::qemu {

class SizeChanges {
 public:
  using RealTime = std::chrono::system_clock::time_point;
  static constexpr std::size_t kMaxKept = 1024;

  // The device's size was requested at `at`: its changes before then are
  // an earlier request's.
  void requested(const std::string& id, RealTime at);
  // Keeps a well-formed size-change event of a device with an id (true);
  // ignores every other event (false). The oldest go beyond kMaxKept.
  bool add(const QmpEvent& event);
  // The time of the first change of `id` since its last request whose size
  // satisfies `done`; that change is used up.
  std::optional<RealTime> take_first(const std::string& id, const std::function<bool(std::uint64_t)>& done);
  std::size_t size() const { return changes_.size(); }

 private:
  struct Change {
    std::string id;
    std::uint64_t size = 0;
    RealTime at;
  };
  std::deque<Change> changes_;
  std::map<std::string, RealTime> requested_at_;
};

}  // namespace hotmem::vmm::qemu

// Test-only: a stand-in for a VMM in unit tests: no process, no guest, only memory
// devices whose answers a test scripts, and a log of what was asked of them.
//
// A device answers each size request in one of these ways:
//   kApply    the guest reaches the requested size at once
//   kStall    the request is accepted but the plugged size never moves
//   kHalfway  the guest gets halfway (in virtio-mem blocks) and stops
//   kRefuse   the request fails (as a QMP error would)
// Waits never block on the guest: they succeed at once (after the scripted
// wait time) if the plugged size already satisfies them, else time out.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "vmm/vm_spec.h"
#include "vmm/vmm.h"

namespace hotmem::vmm {

class FakeVmm final : public Vmm {
 public:
  enum class Response { kApply, kStall, kHalfway, kRefuse };

  // One thing the mode asked: a size request, or a wait for `bytes` (the goal).
  struct Call {
    enum class Kind { kRequest, kWait };
    Kind kind = Kind::kRequest;
    std::string id;
    std::uint64_t bytes = 0;
    friend bool operator==(const Call&, const Call&) = default;
    friend void PrintTo(const Call& c, std::ostream* os) {
      *os << (c.kind == Kind::kRequest ? "request(" : "wait(") << c.id << ", " << c.bytes << ")";
    }
  };
  static Call request(std::string id, std::uint64_t bytes) { return {Call::Kind::kRequest, std::move(id), bytes}; }
  static Call wait(std::string id, std::uint64_t bytes) { return {Call::Kind::kWait, std::move(id), bytes}; }

  void add_device(const MemoryDeviceSpec& spec) {
    std::lock_guard lock(mutex_);
    Device& d = devices_[spec.id];
    d.state.id = spec.id;
    d.state.node = spec.node;
    d.state.max_bytes = spec.max_bytes;
  }
  void add_devices(const std::vector<MemoryDeviceSpec>& specs) {
    for (const MemoryDeviceSpec& s : specs) add_device(s);
  }

  // How the device answers every request from now on.
  void set_response(const std::string& id, Response response) {
    std::lock_guard lock(mutex_);
    devices_.at(id).response = response;
  }
  // How it answers its next requests, one each, before the usual response.
  void script(const std::string& id, std::deque<Response> responses) {
    std::lock_guard lock(mutex_);
    devices_.at(id).script = std::move(responses);
  }
  // What the guest has plugged, as if it had moved on its own.
  void set_plugged(const std::string& id, std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    devices_.at(id).state.plugged_bytes = bytes;
  }
  // How long a successful wait takes (really spent, and reported).
  void set_wait_time(Clock::duration d) {
    std::lock_guard lock(mutex_);
    wait_time_ = d;
  }

  MemoryDeviceState device(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return devices_.at(id).state;
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<Call> requests() const {
    std::vector<Call> out;
    for (const Call& c : calls()) {
      if (c.kind == Call::Kind::kRequest) out.push_back(c);
    }
    return out;
  }
  void clear_calls() {
    std::lock_guard lock(mutex_);
    calls_.clear();
  }

  // Vmm
  pid_t pid() const override { return 4242; }
  std::string accel() const override { return "tcg"; }
  bool alive() override { return !shut_down_; }
  std::string exit_description() override { return shut_down_ ? "shut down" : "running"; }
  std::filesystem::path agent_socket() const override { return "/nonexistent/fake-vmm/agent.sock"; }

  Result<MemoryDeviceState> memory_device(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto it = devices_.find(id);
    if (it == devices_.end()) return Error(fmt::format("fake vmm: no memory device '{}'", id));
    return it->second.state;
  }

  Status request_memory_device_size(const std::string& id, std::uint64_t bytes) override {
    std::lock_guard lock(mutex_);
    calls_.push_back(request(id, bytes));
    auto it = devices_.find(id);
    if (it == devices_.end()) return Error(fmt::format("fake vmm: no memory device '{}'", id));
    Device& d = it->second;
    Response response = d.response;
    if (!d.script.empty()) {
      response = d.script.front();
      d.script.pop_front();
    }
    if (response == Response::kRefuse) return Error(fmt::format("fake vmm: {} refused {} bytes", id, bytes));
    if (bytes > d.state.max_bytes) {
      return Error(fmt::format("fake vmm: {} bytes is above the maximum of {}", bytes, id));
    }
    d.state.requested_bytes = bytes;
    switch (response) {
      case Response::kApply: d.state.plugged_bytes = bytes; break;
      case Response::kHalfway: d.state.plugged_bytes = halfway(d.state.plugged_bytes, bytes); break;
      case Response::kStall:
      case Response::kRefuse: break;
    }
    return ok_status();
  }

  Result<vmm::SizeReached> wait_memory_device(const std::string& id, const std::function<bool(std::uint64_t)>& done,
                                              Clock::duration timeout, std::uint64_t goal) override {
    const auto called = Clock::now();
    Clock::duration wait_time;
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(wait(id, goal));
      auto it = devices_.find(id);
      if (it == devices_.end()) return Error(fmt::format("fake vmm: no memory device '{}'", id));
      const std::uint64_t plugged = it->second.state.plugged_bytes;
      if (!done(plugged)) {
        return Error(fmt::format("fake vmm: {} holds {} bytes, not {}, after {} ms", id, plugged, goal,
                                 std::chrono::duration_cast<Millis>(timeout).count()));
      }
      wait_time = wait_time_;
    }
    if (wait_time > Clock::duration::zero()) std::this_thread::sleep_for(wait_time);
    return vmm::SizeReached{called + wait_time, true};  // as a VMM that dates the change exactly
  }

  Result<std::uint64_t> rss_bytes() override {
    std::lock_guard lock(mutex_);
    std::uint64_t total = 0;
    for (const auto& [id, d] : devices_) total += d.state.plugged_bytes;
    return total;
  }

  void shutdown(Clock::duration) override { shut_down_ = true; }

 private:
  struct Device {
    MemoryDeviceState state;
    Response response = Response::kApply;
    std::deque<Response> script;
  };

  // Half the way from `from` to `to`, in whole virtio-mem blocks.
  static std::uint64_t halfway(std::uint64_t from, std::uint64_t to) {
    const std::uint64_t blocks = (from > to ? from - to : to - from) / kVirtioMemBlock / 2;
    return from > to ? from - blocks * kVirtioMemBlock : from + blocks * kVirtioMemBlock;
  }

  mutable std::mutex mutex_;
  std::map<std::string, Device> devices_;
  std::vector<Call> calls_;
  Clock::duration wait_time_{};
  std::atomic<bool> shut_down_ = false;
};

}  // namespace hotmem::vmm

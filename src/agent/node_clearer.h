// Clearing a partition's node after its instance has gone, so the host can
// unplug it empty instead of migrating what is left.
//
// An instance's sandbox takes its processes, scratch and page cache with
// it, but a process that moved itself out of the instance's cgroup (it runs
// as root in the guest) survives the cgroup's kill. Its memory policy still
// binds its pages to the node, and its mount namespace keeps the instance's
// scratch tmpfs (with the files in it) alive. clear() finds every process
// with pages on the node (/proc/PID/numa_maps). Those outside the instances'
// cgroups are not any live instance's: they are killed, and the answer
// waits until they are gone and their tmpfs has been freed. Those of a live
// instance are spared and named in the answer.
//
// What stays after that (page cache no process maps, a tmpfs mounted
// elsewhere) is the host's to judge: the answer says how much is left.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "common/clock.h"
#include "protocol/agent_calls.h"
#include "protocol/messages.h"

namespace hotmem::agent {

class NodeClearer {
 public:
  // After its holders are gone, a node's tmpfs pages may take a moment more
  // to be freed (the last mount of a tmpfs goes with its namespace).
  static constexpr auto kDrainFor = std::chrono::milliseconds(500);

  using Reply = std::function<void(protocol::Response)>;
  // Whether a process is the agent's own (a chore): never killed.
  using Owned = std::function<bool(pid_t)>;

  NodeClearer(Reply reply, Owned owned) : reply_(std::move(reply)), owned_(std::move(owned)) {}

  void clear(std::uint64_t request_id, int node, Clock::duration timeout);
  void tick();
  Clock::duration until_next_deadline() const;

 private:
  struct Clearing {
    std::uint64_t request_id;
    int node;
    Clock::time_point deadline;
    std::vector<pid_t> ending;  // killed, not yet gone
    std::optional<Clock::time_point> drain_until;
    protocol::NodeCleared answer;
  };

  // Replies once its holders are gone and the node's tmpfs has drained, or
  // at its deadline; returns whether it replied.
  bool advance(Clearing& c, Clock::time_point now);

  Reply reply_;
  Owned owned_;
  std::vector<Clearing> clearings_;
};

}  // namespace hotmem::agent

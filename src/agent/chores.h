// Work the agent does for the host that may block in the kernel, run in a
// child process so the agent keeps answering: taking a partition node's
// memory offline can wait forever on a pinned page. Each chore has a
// deadline; past it the child is killed (a fatal signal ends the kernel's
// offlining loop) and the host hears why.
//
// Offlining starts at SCHED_IDLE, so it yields the vCPU to running
// instances, but only for kYieldFor: a busy neighbour would otherwise starve
// it (SCHED_IDLE gets well under 1% of a busy vCPU) while a scale up waits
// for that memory. Past it the chore runs at normal priority, its fair share.
// (At 200 ms, a budgeted replay's hotmem reclaims averaged 2.2 GiB/s against
// virtio-mem's 4.9: most of them waited out the yield beside a busy vCPU.)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "common/clock.h"
#include "protocol/agent_calls.h"
#include "protocol/messages.h"

namespace hotmem::agent {

class Chores {
 public:
  static constexpr auto kYieldFor = std::chrono::milliseconds(50);

  using Reply = std::function<void(protocol::Response)>;

  explicit Chores(Reply reply) : reply_(std::move(reply)) {}

  // Takes every memory block of `node` offline; replies when done.
  void offline_node(std::uint64_t request_id, int node, Clock::duration timeout);
  // Ends the chores taking `node` offline and waits for them: the node is
  // wanted again (an instance is about to start there, after a reclaim the
  // host gave up on). Their requests fail saying so.
  void cancel_node(int node);
  // Returns false when `pid` is not a chore's.
  bool on_child_exit(pid_t pid, int status);
  bool owns(pid_t pid) const;
  void tick();
  Clock::duration until_next_deadline() const;

 private:
  struct Chore {
    std::uint64_t request_id;
    pid_t pid;
    int node;
    Clock::time_point started;
    Clock::time_point deadline;
    bool yielding = true;  // at SCHED_IDLE, until started + kYieldFor
    bool killed = false;
    bool cancelled = false;
  };

  Reply reply_;
  std::vector<Chore> chores_;
};

}  // namespace hotmem::agent

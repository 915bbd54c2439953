// An instance's sandbox in the guest: a cgroup v2 (memory.max = its limit,
// OOM kills the whole group, cpuset.mems = node 0 and its partition's node),
// a memory policy binding its pages to its partition's node, and a private
// tmpfs scratch directory that the instance sees as /tmp. Optionally a root
// directory (the VM's read-only function rootfs, say) that the instance is
// chrooted into, with its scratch at <root>/tmp, a fresh /proc and the
// guest's /dev.
//
// Invariant: after cleanup() nothing the instance allocated stays behind on
// its node: the scratch is unmounted (its shmem pages freed), the page cache
// charged to the cgroup is reclaimed, and the cgroup is removed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/result.h"
#include "protocol/agent_calls.h"

namespace hotmem::agent {

inline constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
inline constexpr const char* kInstancesCgroup = "/sys/fs/cgroup/hotmem";
inline constexpr const char* kScratchRoot = "/run/hotmem/instances";

// Enables the cpuset and memory controllers for /sys/fs/cgroup/hotmem/* and
// mounts the tmpfs that holds every instance's scratch mount point.
Status prepare_instance_roots();

struct SandboxSpec {
  std::string name;
  std::optional<int> node;
  std::optional<std::uint64_t> memory_max;
  std::uint64_t scratch_bytes = 64ull << 20;
  std::optional<std::filesystem::path> root;  // checked with check_instance_root
};

// Whether an instance's process can be bound to `node` now: the node is in
// the instances' cgroup's effective memory nodes. Linux adds a node there
// from a worker, a moment after the node's memory has come online; before
// that the cgroup cannot use the node and a memory policy binding to it is
// refused.
bool instances_can_use_node(int node);

// An instance root must be an absolute path without ".."
// (protocol::check_root_path), to a directory that already has the mount
// points tmp, proc and dev (it is usually read-only, so they cannot be made
// on the fly). Says what is wrong.
Status check_instance_root(const std::string& root);

using protocol::NodeLeftovers;

class Sandbox {
 public:
  static Result<Sandbox> create(const SandboxSpec& spec);
  Sandbox(Sandbox&& other) noexcept;
  Sandbox& operator=(Sandbox&&) = delete;
  Sandbox(const Sandbox&) = delete;
  ~Sandbox();

  const std::filesystem::path& cgroup() const { return cgroup_; }
  const std::filesystem::path& scratch() const { return scratch_; }

  // Binds the cgroup to the node; the node must have memory by now.
  Status bind_node(int node);
  // In the forked child, before exec: join the cgroup, bind its memory to
  // the node, get a private mount namespace in which the scratch is /tmp
  // (inside the root, if it has one, which then becomes its /), and work in it.
  void enter_from_child() const;

  // Sends `signo` to every process in the cgroup.
  void signal_all(int signo) const;
  // cgroup.kill: SIGKILL to every process, including ones that escaped the
  // main process's watch.
  void kill_all() const;
  bool populated() const;
  bool oom_killed() const;

  // Removes scratch and cgroup, reclaiming what was charged to it first.
  // Safe to call twice.
  Status cleanup();

 private:
  Sandbox() = default;

  std::string name_;
  std::filesystem::path cgroup_;
  std::filesystem::path scratch_;
  // With a root: the root and its mount points, made before fork so the
  // child only makes syscalls.
  std::string root_, root_tmp_, root_proc_, root_dev_;
  std::optional<int> node_;
  bool mounted_ = false;
  bool cleaned_ = false;
};

// Reads what is still in use on `node` (from its meminfo).
Result<NodeLeftovers> node_leftovers(int node);

}  // namespace hotmem::agent

#include "agent/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "agent/guest_system.h"
#include "common/proc_stats.h"
#include "protocol/agent_calls.h"
#include "protocol/channel.h"
#include "protocol/guest_reports.h"

namespace hotmem::agent {
namespace {

namespace fs = std::filesystem;

constexpr int kMpolBind = 2;  // MPOL_BIND from <linux/mempolicy.h>

Status write_file(const fs::path& path, std::string_view value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Error(fmt::format("open {}: {}", path.string(), std::strerror(errno)));
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return Error(fmt::format("write '{}' to {}: {}", value, path.string(), std::strerror(err)));
  }
  return ok_status();
}

std::uint64_t read_key(const fs::path& path, std::string_view key) {
  auto text = read_text_file(path, 65536);
  if (!text) return 0;
  std::istringstream in(*text);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

}  // namespace

Status prepare_instance_roots() {
  std::error_code ec;
  fs::create_directories(kScratchRoot, ec);
  if (ec) return Error(fmt::format("mkdir {}: {}", kScratchRoot, ec.message()));
  // A mount of its own, so an instance can detach all scratches at once.
  if (::mount("tmpfs", kScratchRoot, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) {
    return Error(fmt::format("mount {}: {}", kScratchRoot, std::strerror(errno)));
  }
  if (Status s = write_file(fs::path(kCgroupRoot) / "cgroup.subtree_control", "+cpuset +memory"); !s) return s;
  fs::create_directories(kInstancesCgroup, ec);
  if (ec) return Error(fmt::format("mkdir {}: {}", kInstancesCgroup, ec.message()));
  return write_file(fs::path(kInstancesCgroup) / "cgroup.subtree_control", "+cpuset +memory");
}

Status check_instance_root(const std::string& root) {
  if (Status s = protocol::check_root_path(root); !s) return s;
  const fs::path path(root);
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return Error(fmt::format("root {} is not a directory in the guest (for {}, does the VM have its rootfs disk?)",
                             root, protocol::kRootfsMountPoint));
  }
  for (const char* mount_point : {"tmp", "proc", "dev"}) {
    if (!fs::is_directory(path / mount_point, ec)) {
      return Error(fmt::format("root {} has no {} directory to mount the instance's /{} on; add it to the image",
                               root, mount_point, mount_point));
    }
  }
  return ok_status();
}

Result<Sandbox> Sandbox::create(const SandboxSpec& spec) {
  Sandbox box;
  box.name_ = spec.name;
  if (spec.root) {
    if (Status s = check_instance_root(spec.root->string()); !s) return s.error();
    box.root_ = spec.root->string();
    box.root_tmp_ = (*spec.root / "tmp").string();
    box.root_proc_ = (*spec.root / "proc").string();
    box.root_dev_ = (*spec.root / "dev").string();
  }
  box.cgroup_ = fs::path(kInstancesCgroup) / spec.name;
  box.scratch_ = fs::path(kScratchRoot) / spec.name;
  std::error_code ec;
  if (!fs::create_directory(box.cgroup_, ec)) {
    return Error(fmt::format("cannot create cgroup {}: {}", box.cgroup_.string(),
                             ec ? ec.message() : "it already exists"));
  }
  // From here on the destructor cleans up whatever was made.
  if (spec.memory_max) {
    if (Status s = write_file(box.cgroup_ / "memory.max", std::to_string(*spec.memory_max)); !s) return s.error();
  }
  // An out-of-memory instance dies whole, never half.
  if (Status s = write_file(box.cgroup_ / "memory.oom.group", "1"); !s) return s.error();
  // No swap in the guest, but be explicit: memory stays where it was put.
  (void)write_file(box.cgroup_ / "memory.swap.max", "0");
  fs::create_directories(box.scratch_, ec);
  if (ec) return Error(fmt::format("mkdir {}: {}", box.scratch_.string(), ec.message()));
  const std::string options = fmt::format("size={},mode=1777", spec.scratch_bytes);
  if (::mount("tmpfs", box.scratch_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    return Error(fmt::format("mount scratch tmpfs at {}: {}", box.scratch_.string(), std::strerror(errno)));
  }
  box.mounted_ = true;
  return box;
}

Sandbox::Sandbox(Sandbox&& other) noexcept
    : name_(std::move(other.name_)),
      cgroup_(std::move(other.cgroup_)),
      scratch_(std::move(other.scratch_)),
      root_(std::move(other.root_)),
      root_tmp_(std::move(other.root_tmp_)),
      root_proc_(std::move(other.root_proc_)),
      root_dev_(std::move(other.root_dev_)),
      node_(other.node_),
      mounted_(std::exchange(other.mounted_, false)),
      cleaned_(std::exchange(other.cleaned_, true)) {}

Sandbox::~Sandbox() {
  if (!cleaned_) {
    kill_all();
    (void)cleanup();
  }
}

bool instances_can_use_node(int node) {
  auto mems = read_text_file(fs::path(kInstancesCgroup) / "cpuset.mems.effective", 4096);
  return mems && node_list_contains(*mems, node);
}

Status Sandbox::bind_node(int node) {
  // The cgroup may use node 0 as well as its own: allocations that cannot
  // live in ZONE_MOVABLE (pipe buffers, for one: GFP_HIGHUSER, hardwalled)
  // would fail with ENOMEM on a movable-only node. The instance's pages
  // themselves go to its node through its memory policy (enter_from_child).
  node_ = node;
  return write_file(cgroup_ / "cpuset.mems", node == 0 ? "0" : fmt::format("0,{}", node));
}

// In the child between fork and exec: says on its stderr (the instance's
// log, echoed to the guest's console) which step failed and with which
// errno, then exits 125. Plain syscalls only.
[[noreturn]] static void die_in_child(const char* what) {
  const int err = errno;
  char text[160];
  std::size_t n = 0;
  auto put = [&](const char* part) {
    for (; *part && n < sizeof(text) - 1; ++part) text[n++] = *part;
  };
  put("hotmem sandbox: ");
  put(what);
  put(" failed: errno ");
  char digits[12];
  int d = 0;
  for (int v = err; d == 0 || v > 0; v /= 10) digits[d++] = static_cast<char>('0' + v % 10);
  while (d > 0 && n < sizeof(text) - 1) text[n++] = digits[--d];
  text[n++] = '\n';
  (void)!::write(STDERR_FILENO, text, n);
  ::_exit(125);
}

void Sandbox::enter_from_child() const {
  // Runs between fork and exec: plain syscalls only, and _exit on failure.
  const std::string procs = (cgroup_ / "cgroup.procs").string();
  const int fd = ::open(procs.c_str(), O_WRONLY);
  if (fd < 0 || ::write(fd, "0", 1) != 1) die_in_child("joining its cgroup");
  ::close(fd);
  if (node_) {
    // MPOL_BIND to a node that has only movable memory binds exactly the
    // movable allocations (anonymous, tmpfs, page cache) there; the kernel
    // serves everything else from the cpuset's other node, node 0.
    unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {};
    const auto bits = 8 * sizeof(unsigned long);
    mask[static_cast<std::size_t>(*node_) / bits] |= 1UL << (static_cast<std::size_t>(*node_) % bits);
    if (::syscall(SYS_set_mempolicy, kMpolBind, mask, 1024UL) != 0) {
      die_in_child("binding its memory to its node (set_mempolicy)");
    }
  }
  if (::unshare(CLONE_NEWNS) != 0) die_in_child("unshare(CLONE_NEWNS)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die_in_child("making / private");
  if (root_.empty()) {
    if (::mount(scratch_.c_str(), "/tmp", nullptr, MS_BIND, nullptr) != 0) die_in_child("mounting its /tmp");
  } else {
    // The mounts live in this namespace only and go with its last process.
    // proc's inodes are unmovable kernel allocations: never on the partition.
    if (::mount(scratch_.c_str(), root_tmp_.c_str(), nullptr, MS_BIND, nullptr) != 0) die_in_child("mounting its /tmp");
    if (::mount("proc", root_proc_.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      die_in_child("mounting its /proc");
    }
    if (::mount("/dev", root_dev_.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) die_in_child("mounting its /dev");
  }
  // This namespace got a copy of every other instance's scratch mount; a
  // copy would keep that tmpfs (and its pages on another partition) alive
  // after its owner is gone. Drop them all.
  if (::umount2(kScratchRoot, MNT_DETACH) != 0) die_in_child("dropping the other scratch mounts");
  // chroot, not pivot_root: the guest's / is the initramfs, which
  // pivot_root refuses to move.
  if (!root_.empty() && ::chroot(root_.c_str()) != 0) die_in_child("chroot");
  if (::chdir("/tmp") != 0) die_in_child("chdir /tmp");
}

void Sandbox::signal_all(int signo) const {
  auto procs = read_text_file(cgroup_ / "cgroup.procs", 1 << 20);
  if (!procs) return;
  std::istringstream in(*procs);
  pid_t pid;
  while (in >> pid) ::kill(pid, signo);
}

void Sandbox::kill_all() const {
  if (!write_file(cgroup_ / "cgroup.kill", "1")) signal_all(SIGKILL);
}

bool Sandbox::populated() const { return read_key(cgroup_ / "cgroup.events", "populated") != 0; }

bool Sandbox::oom_killed() const { return read_key(cgroup_ / "memory.events", "oom_kill") != 0; }

Status Sandbox::cleanup() {
  if (cleaned_) return ok_status();
  std::string problems;
  if (mounted_) {
    if (::umount2(scratch_.c_str(), MNT_DETACH) == 0) {
      mounted_ = false;
    } else {
      problems += fmt::format("umount {}: {}; ", scratch_.string(), std::strerror(errno));
    }
  }
  std::error_code ec;
  fs::remove(scratch_, ec);
  // Page cache the instance read is charged to its cgroup; drop it now, or
  // it would stay on the partition node after the cgroup is gone.
  // One pass may leave some (memory.reclaim gives up early on pages it
  // skipped), so go again while any is left, a few times at most.
  for (int pass = 0; pass < 4; ++pass) {
    const std::uint64_t charged = read_key(cgroup_ / "memory.stat", "file");
    if (charged == 0) break;
    (void)write_file(cgroup_ / "memory.reclaim", std::to_string(charged));
  }
  if (fs::exists(cgroup_) && ::rmdir(cgroup_.c_str()) != 0) {
    problems += fmt::format("rmdir {}: {}; ", cgroup_.string(), std::strerror(errno));
  }
  if (!problems.empty()) return Error(problems);
  cleaned_ = true;
  return ok_status();
}

Result<NodeLeftovers> node_leftovers(int node) {
  // A node's counters lag: each CPU keeps a small delta of its own and folds
  // it in about once a second, so a page freed just now may still count.
  // stat_refresh folds every CPU's deltas first (best effort: without it
  // the numbers are only a little stale).
  if (std::ofstream refresh("/proc/sys/vm/stat_refresh"); refresh) refresh << "1\n";
  auto text = node_meminfo_text(node);
  if (!text) return text.error();
  auto info = protocol::parse_node_meminfo(*text, node);
  if (!info) return info.error();
  NodeLeftovers left;
  left.node = node;
  left.used_bytes = info->used_bytes();
  if (auto zoneinfo = read_text_file("/proc/zoneinfo", 4 << 20)) {
    const std::uint64_t cached = per_cpu_free_pages(*zoneinfo, node) * static_cast<std::uint64_t>(::getpagesize());
    left.used_bytes -= std::min(left.used_bytes, cached);
  }
  left.anon_bytes = info->get("AnonPages");
  left.file_bytes = info->get("FilePages");
  left.shmem_bytes = info->get("Shmem");
  return left;
}

}  // namespace hotmem::agent

#include "agent/node_clearer.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "agent/guest_system.h"
#include "agent/sandbox.h"
#include "common/proc_stats.h"

namespace hotmem::agent {
namespace {

// The cgroup of every instance, as /proc/PID/cgroup names it.
const std::string kInstancesPrefix = std::string(kInstancesCgroup).substr(std::string(kCgroupRoot).size()) + "/";

// A process's cgroup v2 path ("0::/hotmem/fn-1" -> "/hotmem/fn-1").
std::string cgroup_of(pid_t pid) {
  auto text = read_text_file(fmt::format("/proc/{}/cgroup", pid), 4096);
  if (!text) return "";
  const std::size_t at = text->find("0::");
  if (at == std::string::npos) return "";
  const std::size_t end = text->find('\n', at);
  return text->substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
}

// Gone, or a zombie: its memory and its namespaces are released.
bool gone(pid_t pid) {
  auto stat = read_text_file(fmt::format("/proc/{}/stat", pid), 4096);
  if (!stat) return true;
  const std::size_t paren = stat->rfind(')');
  return paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] == 'Z' ||
         (*stat)[paren + 2] == 'X';
}

std::vector<pid_t> processes() {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (err == std::errc() && end == name.data() + name.size() && pid > 0) pids.push_back(pid);
  }
  return pids;
}

}  // namespace

void NodeClearer::clear(std::uint64_t request_id, int node, Clock::duration timeout) {
  Clearing c{request_id, node, Clock::now() + timeout, {}, std::nullopt, {}};
  const pid_t self = ::getpid();
  for (pid_t pid : processes()) {
    if (pid == self || owned_(pid)) continue;
    auto maps = read_text_file(fmt::format("/proc/{}/numa_maps", pid), 16 << 20);
    if (!maps) continue;  // gone meanwhile, or a kernel thread
    const std::uint64_t bytes = numa_maps_node_bytes(*maps, node);
    if (bytes == 0) continue;
    protocol::NodeHolder holder;
    holder.pid = pid;
    auto comm = read_text_file(fmt::format("/proc/{}/comm", pid), 64);
    holder.command = comm ? comm->substr(0, comm->find('\n')) : "";
    holder.cgroup = cgroup_of(pid);
    holder.node_bytes = bytes;
    holder.ended = !holder.cgroup.starts_with(kInstancesPrefix);
    if (holder.ended && ::kill(pid, SIGKILL) == 0) c.ending.push_back(pid);
    if (c.answer.holders.size() < protocol::NodeCleared::kMaxHolders) c.answer.holders.push_back(std::move(holder));
  }
  if (!advance(c, Clock::now())) clearings_.push_back(std::move(c));
}

bool NodeClearer::advance(Clearing& c, Clock::time_point now) {
  std::erase_if(c.ending, gone);
  const bool late = now >= c.deadline;
  if (!c.ending.empty() && !late) return false;
  auto left = node_leftovers(c.node);
  if (!left) {
    reply_(protocol::error_response(c.request_id, left.error().message()));
    return true;
  }
  if (!c.drain_until) c.drain_until = now + kDrainFor;
  // A tmpfs its holders kept alive is freed a moment after the last of them.
  if (left->shmem_bytes > 0 && now < *c.drain_until && !late) return false;
  c.answer.left = *left;
  reply_(protocol::answer_response(c.request_id, c.answer));
  return true;
}

void NodeClearer::tick() {
  const auto now = Clock::now();
  std::erase_if(clearings_, [this, now](Clearing& c) { return advance(c, now); });
}

Clock::duration NodeClearer::until_next_deadline() const {
  // Holders end within a few milliseconds of SIGKILL: look again soon.
  return clearings_.empty() ? Clock::duration(std::chrono::seconds(1)) : std::chrono::milliseconds(10);
}

}  // namespace hotmem::agent

// The calls the host makes to the guest agent, and their answers: one struct
// per request and per answer, shared by both ends. Each has one encode (the
// body of its message, see messages.h for the envelope) and one checked
// decode, which bounds every field and names the one that is wrong; pure
// functions, no I/O.
//
// A request struct names its wire type (kType) and its answer (Answer). The
// host encodes requests and decodes answers; the agent the other way round.
// Answers come from an untrusted guest; requests from the trusted host, but
// the agent checks them all the same.
//
//   request          kType              Answer
//   Ping             ping               AgentInfo
//   MemoryReport     memory_report      MemoryReportTexts (decodes to GuestMemoryReport)
//   InstanceStart    instance_start     InstanceStarted
//   InstanceStop     instance_stop      InstanceEnd
//   InstanceList     instance_list      InstanceListing
//   InstanceSignal   instance_signal    Signalled
//   OfflineNode      offline_node       NodeOffline
//   ClearNode        clear_node         NodeCleared
//   Preload          preload            Preloaded
//   Invoke           invoke             ActionAnswer
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "protocol/guest_reports.h"
#include "protocol/messages.h"

namespace hotmem::protocol {

// The longest any request may make the agent wait (a readiness, a grace
// period, an offlining, an invocation).
inline constexpr auto kMaxAgentWait = std::chrono::minutes(10);
// Instance names as the agent reads them (instance_start checks them fully
// with validate_name).
inline constexpr std::size_t kMaxInstanceNameBytes = 64;

// ---------------------------------------------------------------- answers

struct AgentInfo {
  std::string agent_version;
  std::string kernel;
  std::uint64_t uptime_ms = 0;
  std::string cmdline;

  json encode() const;
  static Result<AgentInfo> decode(const json& body);
  bool operator==(const AgentInfo&) const = default;
};

// What the guest says about its memory, as the kernel wrote it: every node's
// /sys/devices/system/node/nodeN/meminfo, /proc/vmstat and /proc/stat. The
// agent sends the texts; the host parses them, which is what checks them, so
// this is the one answer whose decode yields another type.
struct MemoryReportTexts {
  std::map<int, std::string> nodes;
  std::string vmstat;
  std::string stat;  // empty: none sent (the host then has no CPU times)

  json encode() const;
  // parse_memory_report (guest_reports.h).
  static Result<GuestMemoryReport> decode(const json& body);
  bool operator==(const MemoryReportTexts&) const = default;
};

struct InstanceStarted {
  std::int64_t pid = 0;  // in the guest

  json encode() const;
  static Result<InstanceStarted> decode(const json& body);
  bool operator==(const InstanceStarted&) const = default;
};

// What is in use on a partition's node, from its meminfo: used is
// MemTotal - MemFree less the free pages on per-CPU lists (MemFree leaves
// them out); anon, file and shmem say what kind of pages the rest are.
struct NodeLeftovers {
  int node = 0;  // 0-1023
  std::uint64_t used_bytes = 0;
  std::uint64_t anon_bytes = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t shmem_bytes = 0;

  json encode() const;
  static Result<NodeLeftovers> decode(const json& body);
  bool operator==(const NodeLeftovers&) const = default;
};

// How an instance ended, and what it left on its node after the agent
// removed its scratch and cgroup.
struct InstanceEnd {
  std::string exit;  // "exited with status 0", "killed by signal 9 (Killed)"
  bool oom_killed = false;
  std::optional<NodeLeftovers> left;  // set when it was bound to a node
  std::string cleanup_error;

  json encode() const;
  static Result<InstanceEnd> decode(const json& body);
  bool operator==(const InstanceEnd&) const = default;
};

struct InstanceStatus {
  std::string name;
  std::int64_t pid = 0;  // 0 before it runs
  std::string state;     // preparing, starting, running, stopping, ended, exited
  std::string exit;      // once it has ended
  std::uint64_t reports = 0;  // report lines it has written on its status pipe
  std::string report;         // the newest one

  json encode() const;
  static Result<InstanceStatus> decode(const json& body);
  bool operator==(const InstanceStatus&) const = default;
};

struct InstanceListing {
  static constexpr std::size_t kMaxInstances = 4096;
  std::vector<InstanceStatus> instances;

  json encode() const;
  static Result<InstanceListing> decode(const json& body);
  bool operator==(const InstanceListing&) const = default;
};

// instance_signal answers nothing but that it was done.
struct Signalled {
  json encode() const;
  static Result<Signalled> decode(const json& body);
  bool operator==(const Signalled&) const = default;
};

struct NodeOffline {
  std::chrono::duration<double, std::milli> elapsed{};  // in the guest

  json encode() const;
  static Result<NodeOffline> decode(const json& body);
  bool operator==(const NodeOffline&) const = default;
};

// A process that held pages on a node the agent cleared.
struct NodeHolder {
  std::int64_t pid = 0;  // in the guest
  std::string command;   // its comm
  std::string cgroup;    // e.g. "/" for one that left its instance's cgroup
  std::uint64_t node_bytes = 0;
  // Ended by the agent (it was outside every instance's cgroup); else spared
  // (it belongs to a live instance, say one that maps a file the ended one
  // read into the node's page cache).
  bool ended = false;

  bool operator==(const NodeHolder&) const = default;
};

// What clear_node did and what is left on the node afterwards.
struct NodeCleared {
  static constexpr std::size_t kMaxHolders = 256;
  std::vector<NodeHolder> holders;
  NodeLeftovers left;

  json encode() const;
  static Result<NodeCleared> decode(const json& body);
  bool operator==(const NodeCleared&) const = default;
};

struct Preloaded {
  std::uint64_t bytes = 0;  // read into node 0's page cache

  json encode() const;
  static Result<Preloaded> decode(const json& body);
  bool operator==(const Preloaded&) const = default;
};

// The line with which an OpenWhisk action ends each activation's output, on
// stdout and on stderr (the Python runner writes it after every /run).
inline constexpr std::string_view kLogSentinel = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";

enum class LogStream { kStdout, kStderr };
const char* to_string(LogStream stream);

// One line an action wrote, without its newline.
struct LogLine {
  LogStream stream = LogStream::kStdout;
  std::uint64_t ms = 0;  // when the agent read it, after the exchange began (guest clock)
  std::string text;

  bool operator==(const LogLine&) const = default;
};

// The lines an instance wrote during one activation (up to the sentinel on
// each stream), in the order the agent read them, within a byte limit
// that counts each line as its text plus kLineOverhead (its time and
// stream, as a formatted log line has them).
struct ActionLogs {
  static constexpr std::size_t kMaxBytes = 256 * 1024;  // the most an invoke may ask for
  static constexpr std::size_t kLineOverhead = 48;
  static constexpr std::size_t kMaxLines = kMaxBytes / kLineOverhead;
  std::vector<LogLine> lines;
  bool truncated = false;  // lines were left out: over the limit, or the end marker never came

  static std::size_t cost(const LogLine& line) { return line.text.size() + kLineOverhead; }
  std::size_t bytes() const;
  bool empty() const { return lines.empty() && !truncated; }
  json encode() const;
  static Result<ActionLogs> decode(const json& body);
  bool operator==(const ActionLogs&) const = default;
};

// An instance's answer to an invocation, as the agent carried it back: the
// HTTP status and the body, still untrusted, and what the action wrote
// meanwhile when the invoke asked for it (Invoke::log_bytes).
struct ActionAnswer {
  static constexpr std::size_t kMaxBodyBytes = 1 << 20;
  int status = 0;
  std::string body;
  Clock::duration elapsed{};  // in the guest, from connecting to the answer
  ActionLogs logs;            // on the wire only when not empty

  json encode() const;
  static Result<ActionAnswer> decode(const json& body);
  bool operator==(const ActionAnswer&) const = default;
};

// --------------------------------------------------------------- requests

struct Ping {
  static constexpr std::string_view kType = "ping";
  using Answer = AgentInfo;

  json encode() const;
  static Result<Ping> decode(const json& body);
  bool operator==(const Ping&) const = default;
};

struct MemoryReport {
  static constexpr std::string_view kType = "memory_report";
  using Answer = MemoryReportTexts;

  json encode() const;
  static Result<MemoryReport> decode(const json& body);
  bool operator==(const MemoryReport&) const = default;
};

// What an instance runs.
struct InstanceProgram {
  static constexpr std::size_t kMaxArgs = 256;       // argv items, env entries
  static constexpr std::size_t kMaxArgBytes = 4096;  // each of them, and root
  std::string name;  // validate_name
  std::vector<std::string> argv;  // argv[0] names the program; no NUL bytes
  std::map<std::string, std::string> env;
  // The directory it runs chrooted in (e.g. kRootfsMountPoint, the VM's
  // read-only function rootfs), with its scratch as <root>/tmp; the agent's
  // own root when unset. See check_root_path.
  std::optional<std::string> root;
  std::uint64_t scratch_bytes = 64ull << 20;  // its private tmpfs /tmp

  bool operator==(const InstanceProgram&) const = default;
};

// An instance root as the host may name it: an absolute path without "..".
// (The agent checks the rest in the guest: that it is a directory with the
// mount points an instance needs.)
Status check_root_path(const std::string& root);

// Starts an instance in its sandbox: cgroup with cpuset.mems = node and
// memory.max, a tmpfs scratch as /tmp. Flattened on the wire: the program's
// fields sit beside the sandbox's.
struct InstanceStart {
  static constexpr std::string_view kType = "instance_start";
  using Answer = InstanceStarted;
  static constexpr std::uint64_t kMaxBytes = 1ull << 40;  // memory_max, scratch_bytes, node_bytes

  InstanceProgram program;
  std::optional<int> node;                  // 0-1023
  std::optional<std::uint64_t> memory_max;
  // The agent starts it once `node` holds this much memory, so the request
  // can be sent while its partition is still being plugged.
  std::uint64_t node_bytes = 0;
  // Answer only once it has reported ready (a first line on fd 3).
  bool wait_ready = true;
  Clock::duration ready_timeout = std::chrono::seconds(120);

  json encode() const;
  // A body without wait_ready or ready_timeout_ms means false and 60 s, as
  // it always has on the wire; encode always writes both.
  static Result<InstanceStart> decode(const json& body);
  bool operator==(const InstanceStart&) const = default;
};

// Stops an instance (SIGTERM, SIGKILL after `grace`) or collects one that
// ended by itself; answered once its sandbox is gone.
struct InstanceStop {
  static constexpr std::string_view kType = "instance_stop";
  using Answer = InstanceEnd;

  std::string name;
  Clock::duration grace = std::chrono::seconds(2);

  json encode() const;
  static Result<InstanceStop> decode(const json& body);
  bool operator==(const InstanceStop&) const = default;
};

struct InstanceList {
  static constexpr std::string_view kType = "instance_list";
  using Answer = InstanceListing;

  json encode() const;
  static Result<InstanceList> decode(const json& body);
  bool operator==(const InstanceList&) const = default;
};

// Sends SIGUSR1 or SIGUSR2 to a running instance's main process.
struct InstanceSignal {
  static constexpr std::string_view kType = "instance_signal";
  using Answer = Signalled;

  std::string name;
  std::string signal;  // "USR1" or "USR2"

  json encode() const;
  static Result<InstanceSignal> decode(const json& body);
  bool operator==(const InstanceSignal&) const = default;
};

// Takes every memory block of a partition's node offline (before its device
// is unplugged), giving up after `timeout`.
struct OfflineNode {
  static constexpr std::string_view kType = "offline_node";
  using Answer = NodeOffline;

  int node = 0;  // 1-1023: node 0 is the VM's own memory, never taken offline
  Clock::duration timeout = std::chrono::seconds(10);

  json encode() const;
  static Result<OfflineNode> decode(const json& body);
  bool operator==(const OfflineNode&) const = default;
};

// Ends what still holds memory on a partition's node whose instance has
// gone (processes that left their instance's cgroup, and with them the
// tmpfs they kept alive) and reports what is left; answered once they are
// gone, or at `timeout`.
struct ClearNode {
  static constexpr std::string_view kType = "clear_node";
  using Answer = NodeCleared;

  int node = 1;  // 1-1023, as for OfflineNode
  Clock::duration timeout = std::chrono::seconds(5);

  json encode() const;
  static Result<ClearNode> decode(const json& body);
  bool operator==(const ClearNode&) const = default;
};

// Reads files (or every file under directories) into node 0's page cache.
struct Preload {
  static constexpr std::string_view kType = "preload";
  using Answer = Preloaded;
  static constexpr std::size_t kMaxPaths = 4096;
  static constexpr std::size_t kMaxPathBytes = 4096;

  std::vector<std::string> paths;

  json encode() const;
  static Result<Preload> decode(const json& body);
  bool operator==(const Preload&) const = default;
};

// POSTs `body` to an instance's action server on the guest's loopback.
struct Invoke {
  static constexpr std::string_view kType = "invoke";
  using Answer = ActionAnswer;
  // What fits in one control-channel frame with room to spare.
  static constexpr std::size_t kMaxBodyBytes = 512 * 1024;

  std::string name;  // the instance
  int port = 0;      // 1024-65535
  std::string path;  // "/init" or "/run"
  std::string body;
  Clock::duration timeout{};  // the agent's own deadline for the exchange
  // A /run answers with at most this much of what the action wrote on its
  // stdout and stderr since the last /run (ActionLogs); 0: none, and the
  // agent does not wait for the action's end-of-activation marker.
  std::size_t log_bytes = 0;  // at most ActionLogs::kMaxBytes

  json encode() const;
  static Result<Invoke> decode(const json& body);
  bool operator==(const Invoke&) const = default;
};

// ------------------------------------------------------------------ using them

namespace detail {
template <class R>
struct ResultValue;
template <class T>
struct ResultValue<Result<T>> {
  using type = T;
};
}  // namespace detail

// What the host gets back from a call: what its answer's decode yields.
template <class Call>
using Decoded = typename detail::ResultValue<decltype(Call::Answer::decode(std::declval<const json&>()))>::type;

// The agent's answer to request `id`, its body built by the answer's encode.
template <class Answer>
Response answer_response(std::uint64_t id, const Answer& answer) {
  return Response{id, true, "", answer.encode()};
}
Response error_response(std::uint64_t id, std::string message);

}  // namespace hotmem::protocol

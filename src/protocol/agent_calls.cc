#include "protocol/agent_calls.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

namespace hotmem::protocol {
namespace {

constexpr std::uint64_t kMaxWaitMs = std::chrono::duration_cast<Millis>(kMaxAgentWait).count();
// Times the guest measured are bounded, so that they fit Clock::duration
// (nanoseconds in an int64): a day is far beyond the agent's own limits.
constexpr auto kMaxElapsed = std::chrono::hours(24);

// Reads a message's fields one after the other and keeps the first error, so
// that a decoder reads as the list of its fields. After an error it assigns
// nothing more.
class Fields {
 public:
  template <class T, class Into>
  void read(Result<T> value, Into& into) {
    if (error_) return;
    if (!value) {
      error_ = value.error();
    } else {
      into = static_cast<Into>(std::move(*value));
    }
  }
  // A duration carried as whole milliseconds, at most kMaxAgentWait.
  void read_ms(const json& body, std::string_view key, Clock::duration& into) {
    std::uint64_t ms = 0;
    read(get_u64(body, key, kMaxWaitMs), ms);
    if (!error_) into = Millis(ms);
  }
  void check(Status status) {
    if (!error_ && !status) error_ = status.error();
  }
  void check(bool holds, std::string_view message) {
    if (!error_ && !holds) error_ = Error(std::string(message));
  }
  Status status() const { return error_ ? Status(*error_) : ok_status(); }
  template <class T>
  Result<T> finish(T value) const {
    if (error_) return *error_;
    return value;
  }

 private:
  std::optional<Error> error_;
};

// Present and not null (the host may write null for "none").
bool given(const json& body, std::string_view key) { return has(body, key) && !body.find(key)->is_null(); }

std::int64_t whole_ms(Clock::duration d) { return std::chrono::duration_cast<Millis>(d).count(); }

}  // namespace

Response error_response(std::uint64_t id, std::string message) {
  return Response{id, false, std::move(message), json::object()};
}

// ---------------------------------------------------------------- answers

json AgentInfo::encode() const {
  return {{"agent_version", agent_version}, {"kernel", kernel}, {"uptime_ms", uptime_ms}, {"cmdline", cmdline}};
}

Result<AgentInfo> AgentInfo::decode(const json& body) {
  AgentInfo info;
  Fields f;
  f.read(get_string(body, "agent_version", 128), info.agent_version);
  f.read(get_string(body, "kernel", 128), info.kernel);
  f.read(get_u64(body, "uptime_ms"), info.uptime_ms);
  f.read(get_string(body, "cmdline", 4096), info.cmdline);
  return f.finish(std::move(info));
}

json MemoryReportTexts::encode() const {
  json texts = json::object();
  for (const auto& [node, text] : nodes) texts[std::to_string(node)] = text;
  json j{{"nodes", std::move(texts)}, {"vmstat", vmstat}};
  if (!stat.empty()) j["stat"] = stat;  // optional on the wire: no CPU times
  return j;
}

Result<GuestMemoryReport> MemoryReportTexts::decode(const json& body) { return parse_memory_report(body); }

json InstanceStarted::encode() const { return {{"pid", pid}}; }

Result<InstanceStarted> InstanceStarted::decode(const json& body) {
  InstanceStarted started;
  Fields f;
  f.read(get_i64(body, "pid", 1, INT32_MAX), started.pid);
  return f.finish(started);
}

json NodeLeftovers::encode() const {
  return {{"node", node},
          {"used_bytes", used_bytes},
          {"anon_bytes", anon_bytes},
          {"file_bytes", file_bytes},
          {"shmem_bytes", shmem_bytes}};
}

Result<NodeLeftovers> NodeLeftovers::decode(const json& body) {
  NodeLeftovers left;
  Fields f;
  f.read(get_i64(body, "node", 0, 1023), left.node);
  f.read(get_u64(body, "used_bytes"), left.used_bytes);
  f.read(get_u64(body, "anon_bytes"), left.anon_bytes);
  f.read(get_u64(body, "file_bytes"), left.file_bytes);
  f.read(get_u64(body, "shmem_bytes"), left.shmem_bytes);
  return f.finish(left);
}

json InstanceEnd::encode() const {
  json j{{"exit", exit}, {"oom_killed", oom_killed}, {"leftovers", left ? left->encode() : json(nullptr)}};
  if (!cleanup_error.empty()) j["cleanup_error"] = cleanup_error;
  return j;
}

Result<InstanceEnd> InstanceEnd::decode(const json& body) {
  InstanceEnd end;
  Fields f;
  f.read(get_string(body, "exit", 256), end.exit);
  if (has(body, "oom_killed")) f.read(get_bool(body, "oom_killed"), end.oom_killed);
  if (has(body, "cleanup_error")) f.read(get_string(body, "cleanup_error", 4096), end.cleanup_error);
  if (Status s = f.status(); !s) return s.error();
  // Anything but a non-empty object means the instance had no node.
  if (has(body, "leftovers") && body.find("leftovers")->is_object() && !body.find("leftovers")->empty()) {
    auto left = NodeLeftovers::decode(*body.find("leftovers"));
    if (!left) return left.error().context("leftovers");
    end.left = *left;
  }
  return end;
}

json InstanceStatus::encode() const {
  json j{{"name", name}, {"pid", pid}, {"state", state}};
  if (!exit.empty()) j["exit"] = exit;
  if (reports > 0 || !report.empty()) {
    j["reports"] = reports;
    j["report"] = report;
  }
  return j;
}

Result<InstanceStatus> InstanceStatus::decode(const json& body) {
  InstanceStatus status;
  Fields f;
  f.read(get_string(body, "name", kMaxInstanceNameBytes), status.name);
  f.read(get_i64(body, "pid", 0, INT32_MAX), status.pid);
  f.read(get_string(body, "state", 32), status.state);
  // Lenient, as it always was: an exit that is not a short text is left out.
  if (auto exit = get_string(body, "exit", 256)) status.exit = std::move(*exit);
  if (has(body, "reports")) {
    f.read(get_u64(body, "reports"), status.reports);
    f.read(get_string(body, "report"), status.report);
  }
  return f.finish(std::move(status));
}

json InstanceListing::encode() const {
  json list = json::array();
  for (const InstanceStatus& status : instances) list.push_back(status.encode());
  return {{"instances", std::move(list)}};
}

Result<InstanceListing> InstanceListing::decode(const json& body) {
  auto list = body.find("instances");  // end() unless an object has it
  if (list == body.end() || !list->is_array() || list->size() > kMaxInstances) {
    return Error(fmt::format("'instances' must be a list of at most {} entries", kMaxInstances));
  }
  InstanceListing listing;
  for (const json& item : *list) {
    auto status = InstanceStatus::decode(item);
    if (!status) return status.error().context(fmt::format("instances[{}]", listing.instances.size()));
    listing.instances.push_back(std::move(*status));
  }
  return listing;
}

json Signalled::encode() const { return json::object(); }

Result<Signalled> Signalled::decode(const json&) { return Signalled{}; }

json NodeOffline::encode() const { return {{"elapsed_ms", elapsed.count()}}; }

Result<NodeOffline> NodeOffline::decode(const json& body) {
  constexpr double kMaxMs = std::chrono::duration<double, std::milli>(kMaxElapsed).count();
  NodeOffline offline;
  auto ms = get_number(body, "elapsed_ms", 0, kMaxMs);
  if (!ms) return ms.error();
  offline.elapsed = std::chrono::duration<double, std::milli>(*ms);
  return offline;
}

json NodeCleared::encode() const {
  json list = json::array();
  for (const NodeHolder& h : holders) {
    list.push_back({{"pid", h.pid},
                    {"command", h.command},
                    {"cgroup", h.cgroup},
                    {"node_bytes", h.node_bytes},
                    {"ended", h.ended}});
  }
  return {{"holders", std::move(list)}, {"left", left.encode()}};
}

Result<NodeCleared> NodeCleared::decode(const json& body) {
  auto list = body.find("holders");  // end() unless an object has it
  if (list == body.end() || !list->is_array() || list->size() > kMaxHolders) {
    return Error(fmt::format("'holders' must be a list of at most {} entries", kMaxHolders));
  }
  NodeCleared cleared;
  for (const json& item : *list) {
    NodeHolder h;
    Fields f;
    f.read(get_i64(item, "pid", 1, INT32_MAX), h.pid);
    f.read(get_string(item, "command", 64), h.command);
    f.read(get_string(item, "cgroup", 4096), h.cgroup);
    f.read(get_u64(item, "node_bytes"), h.node_bytes);
    f.read(get_bool(item, "ended"), h.ended);
    if (Status s = f.status(); !s) return s.error().context(fmt::format("holders[{}]", cleared.holders.size()));
    cleared.holders.push_back(std::move(h));
  }
  auto left = get_object(body, "left");
  if (!left) return left.error();
  auto leftovers = NodeLeftovers::decode(*left);
  if (!leftovers) return leftovers.error().context("left");
  cleared.left = *leftovers;
  return cleared;
}

json Preloaded::encode() const { return {{"bytes", bytes}}; }

Result<Preloaded> Preloaded::decode(const json& body) {
  Preloaded preloaded;
  Fields f;
  f.read(get_u64(body, "bytes"), preloaded.bytes);
  return f.finish(preloaded);
}

const char* to_string(LogStream stream) { return stream == LogStream::kStdout ? "stdout" : "stderr"; }

std::size_t ActionLogs::bytes() const {
  std::size_t total = 0;
  for (const LogLine& line : lines) total += cost(line);
  return total;
}

json ActionLogs::encode() const {
  json list = json::array();
  for (const LogLine& line : lines) {
    list.push_back({{"stream", to_string(line.stream)}, {"ms", line.ms}, {"text", line.text}});
  }
  return {{"lines", std::move(list)}, {"truncated", truncated}};
}

Result<ActionLogs> ActionLogs::decode(const json& body) {
  constexpr auto kMaxElapsedMs = std::chrono::duration_cast<Millis>(kMaxElapsed).count();
  auto list = body.find("lines");  // end() unless an object has it
  if (list == body.end() || !list->is_array() || list->size() > kMaxLines) {
    return Error(fmt::format("'lines' must be a list of at most {} entries", kMaxLines));
  }
  ActionLogs logs;
  std::size_t total = 0;
  for (const json& item : *list) {
    LogLine line;
    std::string stream;
    Fields f;
    f.read(get_string(item, "stream", 8), stream);
    f.check(stream == "stdout" || stream == "stderr", "field 'stream' must be stdout or stderr");
    f.read(get_u64(item, "ms", kMaxElapsedMs), line.ms);
    f.read(get_string(item, "text", kMaxBytes), line.text);
    if (Status s = f.status(); !s) return s.error().context(fmt::format("lines[{}]", logs.lines.size()));
    line.stream = stream == "stdout" ? LogStream::kStdout : LogStream::kStderr;
    total += cost(line);
    if (total > kMaxBytes) return Error(fmt::format("'lines' hold more than {} bytes", kMaxBytes));
    logs.lines.push_back(std::move(line));
  }
  auto truncated = get_bool(body, "truncated");
  if (!truncated) return truncated.error();
  logs.truncated = *truncated;
  return logs;
}

json ActionAnswer::encode() const {
  json j{{"status", status},
         {"body", body},
         {"elapsed_us", std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()}};
  if (!logs.empty()) j["logs"] = logs.encode();
  return j;
}

Result<ActionAnswer> ActionAnswer::decode(const json& body) {
  constexpr auto kMaxElapsedUs = std::chrono::duration_cast<std::chrono::microseconds>(kMaxElapsed).count();
  ActionAnswer answer;
  std::uint64_t elapsed_us = 0;
  Fields f;
  f.read(get_i64(body, "status", 100, 599), answer.status);
  f.read(get_string(body, "body", kMaxBodyBytes), answer.body);
  f.read(get_u64(body, "elapsed_us", kMaxElapsedUs), elapsed_us);
  answer.elapsed = std::chrono::microseconds(elapsed_us);
  if (Status s = f.status(); !s) return s.error();
  if (has(body, "logs")) {
    auto logs = get_object(body, "logs");
    if (!logs) return logs.error();
    auto decoded = ActionLogs::decode(*logs);
    if (!decoded) return decoded.error().context("logs");
    answer.logs = std::move(*decoded);
  }
  return answer;
}

// --------------------------------------------------------------- requests

json Ping::encode() const { return json::object(); }
Result<Ping> Ping::decode(const json&) { return Ping{}; }

json MemoryReport::encode() const { return json::object(); }
Result<MemoryReport> MemoryReport::decode(const json&) { return MemoryReport{}; }

json InstanceList::encode() const { return json::object(); }
Result<InstanceList> InstanceList::decode(const json&) { return InstanceList{}; }

Status check_root_path(const std::string& root) {
  const std::filesystem::path path(root);
  if (!path.is_absolute()) return Error(fmt::format("root '{}' must be an absolute path", root));
  for (const std::filesystem::path& part : path) {
    if (part == "..") return Error(fmt::format("root '{}' must not contain '..'", root));
  }
  return ok_status();
}

json InstanceStart::encode() const {
  json j{{"name", program.name},
         {"argv", program.argv},
         {"env", program.env},
         {"scratch_bytes", program.scratch_bytes},
         {"node_bytes", node_bytes},
         {"wait_ready", wait_ready},
         {"ready_timeout_ms", whole_ms(ready_timeout)}};
  if (node) j["node"] = *node;
  if (memory_max) j["memory_max"] = *memory_max;
  if (program.root) j["root"] = *program.root;
  return j;
}

Result<InstanceStart> InstanceStart::decode(const json& body) {
  constexpr std::size_t kMaxArgs = InstanceProgram::kMaxArgs;
  constexpr std::size_t kMaxArgBytes = InstanceProgram::kMaxArgBytes;
  const auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
  InstanceStart start;
  start.wait_ready = false;
  start.ready_timeout = std::chrono::seconds(60);
  InstanceProgram& program = start.program;
  Fields f;
  f.read(get_string(body, "name", kMaxInstanceNameBytes), program.name);
  f.check(validate_name("instance name", program.name));
  f.read(get_string_list(body, "argv", kMaxArgs, kMaxArgBytes), program.argv);
  f.check(!program.argv.empty(), "field 'argv' must name a program");
  f.check(std::ranges::none_of(program.argv, has_nul), "field 'argv' has a NUL byte");
  if (has(body, "env")) {
    f.read(get_string_map(body, "env", kMaxArgs, kMaxArgBytes), program.env);
    f.check(std::ranges::none_of(program.env,
                                 [&](const auto& entry) {
                                   const auto& [name, value] = entry;
                                   return name.empty() || name.find('=') != std::string::npos || has_nul(name) ||
                                          has_nul(value);
                                 }),
            "field 'env' needs names without '=' or NUL and values without NUL");
  }
  if (given(body, "node")) f.read(get_i64(body, "node", 0, 1023), start.node);
  if (has(body, "memory_max")) f.read(get_u64(body, "memory_max", kMaxBytes), start.memory_max);
  if (has(body, "scratch_bytes")) f.read(get_u64(body, "scratch_bytes", kMaxBytes), program.scratch_bytes);
  if (given(body, "root")) {
    f.read(get_string(body, "root", kMaxArgBytes), program.root);
    if (program.root) f.check(check_root_path(*program.root));
  }
  if (has(body, "node_bytes")) {
    f.read(get_u64(body, "node_bytes", kMaxBytes), start.node_bytes);
    f.check(start.node_bytes == 0 || start.node.has_value(), "field 'node_bytes' needs a 'node'");
  }
  if (has(body, "wait_ready")) f.read(get_bool(body, "wait_ready"), start.wait_ready);
  if (has(body, "ready_timeout_ms")) f.read_ms(body, "ready_timeout_ms", start.ready_timeout);
  return f.finish(std::move(start));
}

json InstanceStop::encode() const { return {{"name", name}, {"grace_ms", whole_ms(grace)}}; }

Result<InstanceStop> InstanceStop::decode(const json& body) {
  InstanceStop stop;
  Fields f;
  f.read(get_string(body, "name", kMaxInstanceNameBytes), stop.name);
  if (has(body, "grace_ms")) f.read_ms(body, "grace_ms", stop.grace);
  return f.finish(std::move(stop));
}

json InstanceSignal::encode() const { return {{"name", name}, {"signal", signal}}; }

Result<InstanceSignal> InstanceSignal::decode(const json& body) {
  InstanceSignal call;
  Fields f;
  f.read(get_string(body, "name", kMaxInstanceNameBytes), call.name);
  f.read(get_string(body, "signal", 16), call.signal);
  f.check(call.signal == "USR1" || call.signal == "USR2", "field 'signal' must be USR1 or USR2");
  return f.finish(std::move(call));
}

json OfflineNode::encode() const { return {{"node", node}, {"timeout_ms", whole_ms(timeout)}}; }

Result<OfflineNode> OfflineNode::decode(const json& body) {
  OfflineNode call;
  Fields f;
  f.read(get_i64(body, "node", 1, 1023), call.node);
  if (has(body, "timeout_ms")) f.read_ms(body, "timeout_ms", call.timeout);
  return f.finish(call);
}

json ClearNode::encode() const { return {{"node", node}, {"timeout_ms", whole_ms(timeout)}}; }

Result<ClearNode> ClearNode::decode(const json& body) {
  ClearNode call;
  Fields f;
  f.read(get_i64(body, "node", 1, 1023), call.node);
  if (has(body, "timeout_ms")) f.read_ms(body, "timeout_ms", call.timeout);
  return f.finish(call);
}

json Preload::encode() const { return {{"paths", paths}}; }

Result<Preload> Preload::decode(const json& body) {
  Preload call;
  Fields f;
  f.read(get_string_list(body, "paths", kMaxPaths, kMaxPathBytes), call.paths);
  return f.finish(std::move(call));
}

json Invoke::encode() const {
  json j{{"name", name}, {"port", port}, {"path", path}, {"body", body}, {"timeout_ms", whole_ms(timeout)}};
  if (log_bytes > 0) j["log_bytes"] = log_bytes;
  return j;
}

Result<Invoke> Invoke::decode(const json& body) {
  Invoke call;
  Fields f;
  f.read(get_string(body, "name", kMaxInstanceNameBytes), call.name);
  f.read(get_i64(body, "port", 1024, 65535), call.port);
  f.read(get_string(body, "path", 64), call.path);
  f.check(call.path == "/init" || call.path == "/run", "field 'path' must be /init or /run");
  f.read(get_string(body, "body", kMaxBodyBytes), call.body);
  f.read_ms(body, "timeout_ms", call.timeout);
  if (has(body, "log_bytes")) f.read(get_u64(body, "log_bytes", ActionLogs::kMaxBytes), call.log_bytes);
  return f.finish(std::move(call));
}

}  // namespace hotmem::protocol

// The host-agent calls (protocol/agent_calls.h): every input that is a JSON
// object is tried as the body of every answer (what the host decodes from an
// untrusted guest) and of every request (what the agent decodes); an invoke
// answer's body then goes where the daemon sends it, parse_object (the
// action's result).
// Invariants:
// - what is accepted is within the bounds the decoders state (string sizes,
//   counts, node, pid, port, HTTP status, times, sizes, names, paths, an
//   invoke answer's log lines and their bytes);
// - what is accepted round-trips: decode(encode(decode(x))) == decode(x),
//   through JSON text as on the wire. memory_report's answer decodes to the
//   parsed report: the texts of an accepted one, encoded again by the
//   agent's struct, decode to the same report.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "protocol/agent_calls.h"
#include "protocol/messages.h"

namespace hotmem::protocol {
namespace {

constexpr auto kMaxWait = std::chrono::minutes(10);

// The value as the other end sees it: written out, read back.
json over_the_wire(const json& body) {
  auto again = parse_object(body.dump(-1, ' ', false, json::error_handler_t::replace));
  HOTMEM_FUZZ_CHECK(again.ok());
  return *again;
}

// Decodes `body` as a T; when accepted, checks `bounds` and the round trip.
template <class T, class Bounds>
void check(const json& body, Bounds bounds) {
  auto value = T::decode(body);
  if (!value) return;
  bounds(*value);
  auto again = T::decode(over_the_wire(value->encode()));
  HOTMEM_FUZZ_CHECK(again.ok() && *again == *value);
}

bool within_name(const std::string& name) { return name.size() <= kMaxInstanceNameBytes; }

bool within_wait(Clock::duration d) { return d >= Clock::duration::zero() && d <= kMaxWait; }

// ---------------------------------------------------------------- answers

void check_answers(const json& body) {
  check<AgentInfo>(body, [](const AgentInfo& info) {
    HOTMEM_FUZZ_CHECK(info.agent_version.size() <= 128 && info.kernel.size() <= 128 && info.cmdline.size() <= 4096);
  });
  check<InstanceStarted>(body, [](const InstanceStarted& started) {
    HOTMEM_FUZZ_CHECK(started.pid >= 1 && started.pid <= INT32_MAX);
  });
  check<InstanceEnd>(body, [](const InstanceEnd& end) {
    HOTMEM_FUZZ_CHECK(end.exit.size() <= 256 && end.cleanup_error.size() <= 4096);
    if (end.left) HOTMEM_FUZZ_CHECK(end.left->node >= 0 && end.left->node <= 1023);
  });
  check<InstanceListing>(body, [](const InstanceListing& listing) {
    HOTMEM_FUZZ_CHECK(listing.instances.size() <= InstanceListing::kMaxInstances);
    for (const InstanceStatus& status : listing.instances) {
      HOTMEM_FUZZ_CHECK(within_name(status.name) && status.state.size() <= 32 && status.exit.size() <= 256);
      HOTMEM_FUZZ_CHECK(status.pid >= 0 && status.pid <= INT32_MAX);
      HOTMEM_FUZZ_CHECK(status.report.size() <= kMaxStringBytes);
    }
  });
  check<Signalled>(body, [](const Signalled&) {});
  check<NodeOffline>(body, [](const NodeOffline& offline) {
    HOTMEM_FUZZ_CHECK(offline.elapsed.count() >= 0 && offline.elapsed <= std::chrono::hours(24));
  });
  check<NodeCleared>(body, [](const NodeCleared& cleared) {
    HOTMEM_FUZZ_CHECK(cleared.holders.size() <= NodeCleared::kMaxHolders);
    HOTMEM_FUZZ_CHECK(cleared.left.node >= 0 && cleared.left.node <= 1023);
  });
  check<Preloaded>(body, [](const Preloaded&) {});
  check<ActionAnswer>(body, [](const ActionAnswer& answer) {
    HOTMEM_FUZZ_CHECK(answer.status >= 100 && answer.status <= 599);
    HOTMEM_FUZZ_CHECK(answer.body.size() <= ActionAnswer::kMaxBodyBytes);
    HOTMEM_FUZZ_CHECK(answer.elapsed >= Clock::duration::zero() && answer.elapsed <= std::chrono::hours(24));
    if (auto result = parse_object(answer.body)) HOTMEM_FUZZ_CHECK(result->is_object());
    HOTMEM_FUZZ_CHECK(answer.logs.lines.size() <= ActionLogs::kMaxLines && answer.logs.bytes() <= ActionLogs::kMaxBytes);
    for (const LogLine& line : answer.logs.lines) HOTMEM_FUZZ_CHECK(line.ms <= 24ull * 3600 * 1000);
  });
}

// memory_report's answer: the texts as the agent would send them again.
void check_memory_report(const json& body) {
  auto report = MemoryReportTexts::decode(body);
  if (!report) return;
  MemoryReportTexts texts;
  for (const auto& [key, text] : body.at("nodes").items()) texts.nodes[std::stoi(key)] = text.get<std::string>();
  texts.vmstat = body.at("vmstat").get<std::string>();
  if (body.contains("stat")) texts.stat = body.at("stat").get<std::string>();
  auto again = MemoryReportTexts::decode(over_the_wire(texts.encode()));
  HOTMEM_FUZZ_CHECK(again.ok() && *again == *report);
}

// --------------------------------------------------------------- requests

void check_requests(const json& body) {
  check<Ping>(body, [](const Ping&) {});
  check<MemoryReport>(body, [](const MemoryReport&) {});
  check<InstanceList>(body, [](const InstanceList&) {});
  check<InstanceStart>(body, [](const InstanceStart& start) {
    const InstanceProgram& program = start.program;
    HOTMEM_FUZZ_CHECK(validate_name("instance name", program.name).ok());
    HOTMEM_FUZZ_CHECK(!program.argv.empty() && program.argv.size() <= InstanceProgram::kMaxArgs);
    for (const std::string& arg : program.argv) {
      HOTMEM_FUZZ_CHECK(arg.size() <= InstanceProgram::kMaxArgBytes && arg.find('\0') == std::string::npos);
    }
    HOTMEM_FUZZ_CHECK(program.env.size() <= InstanceProgram::kMaxArgs);
    for (const auto& [name, value] : program.env) {
      HOTMEM_FUZZ_CHECK(!name.empty() && name.find_first_of(std::string("=\0", 2)) == std::string::npos);
      HOTMEM_FUZZ_CHECK(value.find('\0') == std::string::npos);
    }
    if (program.root) HOTMEM_FUZZ_CHECK(program.root->starts_with('/') && check_root_path(*program.root).ok());
    HOTMEM_FUZZ_CHECK(program.scratch_bytes <= InstanceStart::kMaxBytes);
    HOTMEM_FUZZ_CHECK(start.node_bytes <= InstanceStart::kMaxBytes);
    if (start.memory_max) HOTMEM_FUZZ_CHECK(*start.memory_max <= InstanceStart::kMaxBytes);
    if (start.node) HOTMEM_FUZZ_CHECK(*start.node >= 0 && *start.node <= 1023);
    HOTMEM_FUZZ_CHECK(start.node_bytes == 0 || start.node.has_value());
    HOTMEM_FUZZ_CHECK(within_wait(start.ready_timeout));
  });
  check<InstanceStop>(body, [](const InstanceStop& stop) {
    HOTMEM_FUZZ_CHECK(within_name(stop.name) && within_wait(stop.grace));
  });
  check<InstanceSignal>(body, [](const InstanceSignal& signal) {
    HOTMEM_FUZZ_CHECK(within_name(signal.name) && (signal.signal == "USR1" || signal.signal == "USR2"));
  });
  check<OfflineNode>(body, [](const OfflineNode& offline) {
    HOTMEM_FUZZ_CHECK(offline.node >= 1 && offline.node <= 1023 && within_wait(offline.timeout));
  });
  check<ClearNode>(body, [](const ClearNode& clear) {
    HOTMEM_FUZZ_CHECK(clear.node >= 1 && clear.node <= 1023 && within_wait(clear.timeout));
  });
  check<Preload>(body, [](const Preload& preload) {
    HOTMEM_FUZZ_CHECK(preload.paths.size() <= Preload::kMaxPaths);
    for (const std::string& path : preload.paths) HOTMEM_FUZZ_CHECK(path.size() <= Preload::kMaxPathBytes);
  });
  check<Invoke>(body, [](const Invoke& invoke) {
    HOTMEM_FUZZ_CHECK(within_name(invoke.name) && invoke.port >= 1024 && invoke.port <= 65535);
    HOTMEM_FUZZ_CHECK(invoke.path == "/init" || invoke.path == "/run");
    HOTMEM_FUZZ_CHECK(invoke.body.size() <= Invoke::kMaxBodyBytes && within_wait(invoke.timeout));
    HOTMEM_FUZZ_CHECK(invoke.log_bytes <= ActionLogs::kMaxBytes);
  });
}

}  // namespace
}  // namespace hotmem::protocol

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotmem::protocol;
  auto body = parse_object(hotmem::fuzz::as_text(data, size));
  if (!body) return 0;
  check_answers(*body);
  check_memory_report(*body);
  check_requests(*body);
  return 0;
}

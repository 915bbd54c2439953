// The host-agent calls without a channel: what each end may send, valid or
// not. (host/agent_client_test.cc covers them through AgentClient; the
// instance_start request has its own tests in agent/instance_table_test.cc.)
#include "protocol/agent_calls.h"

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hotmem::protocol {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;

// A body as the other end receives it: through JSON text, where a
// non-negative number is unsigned.
json wire(const json& body) { return json::parse(body.dump()); }

// encode, then decode what went over the wire: the value comes back.
template <class T>
void expect_round_trip(const T& value) {
  auto again = T::decode(wire(value.encode()));
  ASSERT_TRUE(again.ok()) << again.error().message() << " in " << value.encode().dump();
  EXPECT_EQ(*again, value) << value.encode().dump();
}

TEST(ActionAnswerDecode, ReadsStatusBodyAndElapsedTime) {
  auto answer = ActionAnswer::decode(json{{"status", 200}, {"body", R"({"ok":true})"}, {"elapsed_us", 1500}});
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, R"({"ok":true})");
  EXPECT_EQ(answer->elapsed, 1500us);
}

TEST(ActionAnswerDecode, StatusOutsideHttpRangeIsAnError) {
  for (int status : {99, 600, -1}) {
    auto answer = ActionAnswer::decode(json{{"status", status}, {"body", ""}, {"elapsed_us", 0}});
    ASSERT_FALSE(answer.ok()) << status;
    EXPECT_THAT(answer.error().message(), HasSubstr("'status'"));
  }
}

TEST(ActionAnswerDecode, MissingOrMistypedFieldsAreErrorsNamingThem) {
  auto no_body = ActionAnswer::decode(json{{"status", 200}, {"elapsed_us", 0}});
  ASSERT_FALSE(no_body.ok());
  EXPECT_THAT(no_body.error().message(), HasSubstr("'body'"));

  auto body_not_text = ActionAnswer::decode(json{{"status", 200}, {"body", json::object()}, {"elapsed_us", 0}});
  ASSERT_FALSE(body_not_text.ok());
  EXPECT_THAT(body_not_text.error().message(), HasSubstr("'body'"));

  auto negative_elapsed = ActionAnswer::decode(json{{"status", 200}, {"body", ""}, {"elapsed_us", -5}});
  ASSERT_FALSE(negative_elapsed.ok());
  EXPECT_THAT(negative_elapsed.error().message(), HasSubstr("'elapsed_us'"));
}

// Found while writing the agent_answers fuzz target (now fuzz/agent_calls_fuzz.cc):
// microseconds past INT64_MAX / 1000 overflowed (undefined behaviour) on the
// way to Clock::duration, and UINT64_MAX came out as a negative time.
TEST(ActionAnswerDecode, ElapsedTimeBeyondADayIsAnError) {
  for (std::uint64_t us : {std::uint64_t{86'400'000'001}, std::uint64_t{9'300'000'000'000'000}, UINT64_MAX}) {
    auto answer = ActionAnswer::decode(json{{"status", 200}, {"body", ""}, {"elapsed_us", us}});
    ASSERT_FALSE(answer.ok()) << us;
    EXPECT_THAT(answer.error().message(), HasSubstr("'elapsed_us'"));
  }
  auto day = ActionAnswer::decode(json{{"status", 200}, {"body", ""}, {"elapsed_us", 86'400'000'000}});
  ASSERT_TRUE(day.ok()) << day.error().message();
  EXPECT_EQ(day->elapsed, std::chrono::hours(24));
}

TEST(ActionAnswerDecode, BodyLargerThanOneMebibyteIsAnError) {
  auto answer =
      ActionAnswer::decode(json{{"status", 200}, {"body", std::string((1 << 20) + 1, 'x')}, {"elapsed_us", 0}});
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(answer.error().message(), HasSubstr("'body'"));
}

TEST(InstanceListingDecode, ReadsEveryEntry) {
  auto list = InstanceListing::decode(json{
      {"instances",
       {{{"name", "i1"}, {"pid", 42}, {"state", "running"}, {"reports", 3}, {"report", "ready"}},
        {{"name", "i2"}, {"pid", 0}, {"state", "exited"}, {"exit", "exited with status 0"}}}}});
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->instances.size(), 2u);
  EXPECT_EQ(list->instances[0].name, "i1");
  EXPECT_EQ(list->instances[0].pid, 42);
  EXPECT_EQ(list->instances[0].reports, 3u);
  EXPECT_EQ(list->instances[0].report, "ready");
  EXPECT_EQ(list->instances[1].state, "exited");
  EXPECT_EQ(list->instances[1].exit, "exited with status 0");
}

TEST(InstanceListingDecode, MalformedEntriesAreErrors) {
  EXPECT_FALSE(InstanceListing::decode(json::object()).ok());
  EXPECT_FALSE(InstanceListing::decode(json{{"instances", "i1"}}).ok());
  EXPECT_FALSE(
      InstanceListing::decode(json{{"instances", {{{"name", "i1"}, {"pid", -1}, {"state", "running"}}}}}).ok());
  EXPECT_FALSE(InstanceListing::decode(json{{"instances", {{{"name", "i1"}, {"pid", 1}, {"state", "running"},
                                                            {"reports", 1}}}}})
                   .ok());
}

TEST(InstanceListingDecode, AnErrorSaysWhichEntryAndField) {
  auto list = InstanceListing::decode(json{
      {"instances", {{{"name", "i1"}, {"pid", 1}, {"state", "running"}}, {{"name", "i2"}, {"state", "running"}}}}});
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.error().message(), HasSubstr("instances[1]"));
  EXPECT_THAT(list.error().message(), HasSubstr("'pid' is missing"));
  EXPECT_THAT(InstanceListing::decode(json::array()).error().message(), HasSubstr("'instances' must be a list"));
}

TEST(AgentInfoDecode, ReadsEveryFieldAndBoundsThem) {
  const json body{{"agent_version", "0.1.0"}, {"kernel", "6.1.0"}, {"uptime_ms", 6021}, {"cmdline", "quiet"}};
  auto info = AgentInfo::decode(body);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(*info, (AgentInfo{"0.1.0", "6.1.0", 6021, "quiet"}));
  for (const auto& [field, too_long] : {std::pair{"agent_version", 129}, {"kernel", 129}, {"cmdline", 4097}}) {
    json bad = body;
    bad[field] = std::string(too_long, 'x');
    auto refused = AgentInfo::decode(bad);
    ASSERT_FALSE(refused.ok()) << field;
    EXPECT_THAT(refused.error().message(), HasSubstr(std::string("'") + field + "'"));
  }
}

// (AgentClientTest.StopInstanceReadsWhatWasLeftOnTheNode reads a node's leftovers.)
TEST(InstanceEndDecode, LeftoversThatAreNullOrEmptyMeanNoNode) {
  // null (what the agent writes for an instance without a node) or {}: no node.
  for (const json& none : {json(nullptr), json::object()}) {
    auto plain = InstanceEnd::decode(json{{"exit", "exited with status 0"}, {"leftovers", none}});
    ASSERT_TRUE(plain.ok()) << plain.error().message();
    EXPECT_FALSE(plain->left.has_value());
  }
  auto bad_node = InstanceEnd::decode(json{{"exit", ""}, {"leftovers", {{"node", 1024}}}});
  ASSERT_FALSE(bad_node.ok());
  EXPECT_THAT(bad_node.error().message(), HasSubstr("leftovers: field 'node'"));
}

TEST(NodeOfflineDecode, ElapsedTimeIsANonNegativeNumberOfMillisecondsUpToADay) {
  auto offline = NodeOffline::decode(json{{"elapsed_ms", 12.5}});
  ASSERT_TRUE(offline.ok()) << offline.error().message();
  EXPECT_EQ(offline->elapsed.count(), 12.5);
  for (const json& bad : {json(-1), json(86'400'001), json("5"), json(nullptr)}) {
    auto refused = NodeOffline::decode(json{{"elapsed_ms", bad}});
    ASSERT_FALSE(refused.ok()) << bad.dump();
    EXPECT_THAT(refused.error().message(), HasSubstr("'elapsed_ms'"));
  }
}

TEST(InstanceStartedDecode, PidIsPositive) {
  EXPECT_EQ(InstanceStarted::decode(json{{"pid", 321}})->pid, 321);
  for (const json& bad : {json(0), json(-4), json(std::int64_t{INT32_MAX} + 1), json("1")}) {
    auto refused = InstanceStarted::decode(json{{"pid", bad}});
    ASSERT_FALSE(refused.ok()) << bad.dump();
    EXPECT_THAT(refused.error().message(), HasSubstr("'pid'"));
  }
}

TEST(MemoryReportTexts, DecodesToTheParsedReport) {
  MemoryReportTexts texts;
  texts.nodes = {{0, "Node 0 MemTotal: 524288 kB\nNode 0 MemFree: 262144 kB\n"},
                 {1, "Node 1 MemTotal: 1048576 kB\nNode 1 MemFree: 1048576 kB\n"}};
  texts.vmstat = "pgmigrate_success 17\n";
  texts.stat = "cpu  10 0 5 100 0 0 0 0 0 0\n";
  auto report = MemoryReportTexts::decode(wire(texts.encode()));
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->node_total_bytes(1), 1024u * 1024 * 1024);
  EXPECT_EQ(report->node_used_bytes(0), 256u * 1024 * 1024);
  ASSERT_TRUE(report->pgmigrate_success().ok());
  EXPECT_EQ(*report->pgmigrate_success(), 17u);
  EXPECT_EQ(report->cpu.busy_ticks, 15u);
}

TEST(NodeClearedDecode, HoldersAreBoundedAndEachFieldChecked) {
  const json holder{{"pid", 311}, {"command", "touch"}, {"cgroup", "/"}, {"node_bytes", 4096}, {"ended", true}};
  const json left{{"node", 3}, {"used_bytes", 0}, {"anon_bytes", 0}, {"file_bytes", 0}, {"shmem_bytes", 0}};
  ASSERT_TRUE(NodeCleared::decode(json{{"holders", {holder}}, {"left", left}}).ok());
  EXPECT_THAT(NodeCleared::decode(json{{"holders", json::array()}}).error().message(), HasSubstr("'left'"));
  EXPECT_THAT(NodeCleared::decode(json{{"left", left}}).error().message(), HasSubstr("'holders'"));
  json many = json::array();
  for (std::size_t i = 0; i <= NodeCleared::kMaxHolders; ++i) many.push_back(holder);
  EXPECT_THAT(NodeCleared::decode(json{{"holders", many}, {"left", left}}).error().message(), HasSubstr("'holders'"));
  json bad_pid = holder;
  bad_pid["pid"] = 0;
  EXPECT_THAT(NodeCleared::decode(json{{"holders", {bad_pid}}, {"left", left}}).error().message(),
              HasSubstr("holders[0]"));
  json bad_left = left;
  bad_left["node"] = 1024;
  EXPECT_THAT(NodeCleared::decode(json{{"holders", json::array()}, {"left", bad_left}}).error().message(),
              HasSubstr("left"));
}

TEST(AgentCalls, EveryAnswerRoundTrips) {
  expect_round_trip(AgentInfo{"hotmem-agent 0.1.0", "6.1.0-18-amd64", 6021, "console=ttyS0"});
  expect_round_trip(InstanceStarted{77});
  InstanceEnd end{"killed by signal 9 (Killed)", true, NodeLeftovers{2, 4096, 1024, 2048, 512}, "rmdir: busy"};
  expect_round_trip(end);
  expect_round_trip(InstanceEnd{"exited with status 0", false, std::nullopt, ""});
  InstanceListing listing;
  listing.instances = {{"i1", 42, "running", "", 3, "ready"}, {"i2", 0, "exited", "exited with status 0", 0, ""}};
  expect_round_trip(listing);
  expect_round_trip(InstanceListing{});
  expect_round_trip(Signalled{});
  expect_round_trip(NodeOffline{std::chrono::duration<double, std::milli>(1234.567)});
  expect_round_trip(Preloaded{std::uint64_t{5} << 30});
  expect_round_trip(NodeCleared{{{311, "touch", "/", 48u << 20, true}, {95, "python3", "/hotmem/fn-2", 4096, false}},
                                NodeLeftovers{3, 1 << 20, 0, 4096, 0}});
  expect_round_trip(NodeCleared{{}, NodeLeftovers{1, 0, 0, 0, 0}});
  expect_round_trip(ActionAnswer{502, "not json", 15234us, {}});
  ActionLogs logs{{{LogStream::kStdout, 3, "hello"}, {LogStream::kStderr, 12, ""}}, true};
  expect_round_trip(ActionAnswer{200, "{}", 1ms, logs});
  expect_round_trip(ActionAnswer{200, "{}", 1ms, ActionLogs{{}, true}});
}

// What an action wrote comes from the guest: every line is checked, and a
// malformed one makes the whole answer an error.
TEST(ActionAnswerDecode, LogsAreOptionalAndCheckedLineByLine) {
  const json answer{{"status", 200}, {"body", "{}"}, {"elapsed_us", 10}};
  auto without = ActionAnswer::decode(answer);
  ASSERT_TRUE(without.ok()) << without.error().message();
  EXPECT_TRUE(without->logs.empty());
  EXPECT_FALSE(answer.contains("logs")) << "an answer without logs encodes as before";

  const json line{{"stream", "stderr"}, {"ms", 5}, {"text", "Traceback"}};
  json good = answer;
  good["logs"] = {{"lines", {line, line}}, {"truncated", false}};
  auto decoded = ActionAnswer::decode(wire(good));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  ASSERT_EQ(decoded->logs.lines.size(), 2u);
  EXPECT_EQ(decoded->logs.lines[0], (LogLine{LogStream::kStderr, 5, "Traceback"}));
  EXPECT_EQ(decoded->logs.bytes(), 2 * (9 + ActionLogs::kLineOverhead));

  auto with = [&](json logs) {
    json j = answer;
    j["logs"] = std::move(logs);
    return ActionAnswer::decode(wire(j));
  };
  auto line_with = [&](const char* key, json value) {
    json l = line;
    if (value.is_null()) {
      l.erase(key);
    } else {
      l[key] = std::move(value);
    }
    return json{{"lines", {l}}, {"truncated", false}};
  };
  const std::string big(ActionLogs::kMaxBytes, 'x');
  const std::vector<std::pair<json, std::string>> bad{
      {json("lines"), "logs"},
      {json{{"truncated", false}}, "lines"},
      {json{{"lines", json::object()}, {"truncated", false}}, "lines"},
      {json{{"lines", json::array()}}, "truncated"},
      {json{{"lines", json::array()}, {"truncated", "yes"}}, "truncated"},
      {json{{"lines", {7}}, {"truncated", false}}, "lines[0]"},
      {line_with("stream", "stdin"), "stream"},
      {line_with("stream", nullptr), "stream"},
      {line_with("ms", -1), "ms"},
      {line_with("ms", 1e12), "ms"},
      {line_with("text", 42), "text"},
      {line_with("text", big + "y"), "text"},
      {json{{"lines", json::array({line_with("text", big)["lines"][0], line})}}, "bytes"},
      {json{{"lines", json(std::vector<json>(ActionLogs::kMaxLines + 1, line))}, {"truncated", false}}, "lines"},
  };
  for (const auto& [logs, names] : bad) {
    auto refused = with(logs);
    ASSERT_FALSE(refused.ok()) << logs.dump().substr(0, 200);
    EXPECT_THAT(refused.error().message(), HasSubstr(names)) << logs.dump().substr(0, 200);
  }
}

TEST(InvokeDecode, LogBytesIsOptionalAndBounded) {
  json call{{"name", "i1"}, {"port", 8080}, {"path", "/run"}, {"body", "{}"}, {"timeout_ms", 1000}};
  auto plain = Invoke::decode(call);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->log_bytes, 0u);
  call["log_bytes"] = ActionLogs::kMaxBytes;
  EXPECT_TRUE(Invoke::decode(call).ok());
  call["log_bytes"] = ActionLogs::kMaxBytes + 1;
  EXPECT_FALSE(Invoke::decode(call).ok());
  call["log_bytes"] = "lots";
  EXPECT_FALSE(Invoke::decode(call).ok());
}

TEST(AgentCalls, EveryRequestRoundTrips) {
  expect_round_trip(Ping{});
  expect_round_trip(MemoryReport{});
  InstanceStart start;
  start.program = {"fn-1", {"/usr/bin/python3", "/srv/fn.py"}, {{"PORT", "8080"}}, "/rootfs", 16ull << 20};
  start.node = 3;
  start.memory_max = 256ull << 20;
  start.node_bytes = 1ull << 30;
  start.ready_timeout = 2500ms;
  expect_round_trip(start);
  expect_round_trip(InstanceStart{{"bare", {"/bin/true"}, {}, std::nullopt, 0}, std::nullopt, std::nullopt, 0,
                                  false, 0ms});
  expect_round_trip(InstanceStop{"fn-1", 1500ms});
  expect_round_trip(InstanceList{});
  expect_round_trip(InstanceSignal{"fn-1", "USR2"});
  expect_round_trip(OfflineNode{1023, 10min});
  expect_round_trip(ClearNode{7, 5s});
  expect_round_trip(Preload{{"/rootfs/usr/bin/python3", "/rootfs/usr/lib"}});
  expect_round_trip(Invoke{"i1", 8080, "/run", R"({"value":{}})", 30s, 0});
  expect_round_trip(Invoke{"i1", 8080, "/run", R"({"value":{}})", 30s, 65536});
}

TEST(AgentCalls, TheWireFieldsStayAsTheyWere) {
  InstanceStart start;
  start.program.name = "fn-1";
  start.program.argv = {"/bin/fn"};
  EXPECT_EQ(start.encode(), (json{{"name", "fn-1"},
                                  {"argv", {"/bin/fn"}},
                                  {"env", json::object()},
                                  {"scratch_bytes", 64ull << 20},
                                  {"node_bytes", 0},
                                  {"wait_ready", true},
                                  {"ready_timeout_ms", 120000}}));
  EXPECT_EQ(InstanceStop({"fn-1", 2s}).encode(), (json{{"name", "fn-1"}, {"grace_ms", 2000}}));
  EXPECT_EQ(OfflineNode({2, 500ms}).encode(), (json{{"node", 2}, {"timeout_ms", 500}}));
  EXPECT_EQ(Invoke({"i1", 8080, "/init", "{}", 5s, 0}).encode(),
            (json{{"name", "i1"}, {"port", 8080}, {"path", "/init"}, {"body", "{}"}, {"timeout_ms", 5000}}));
  EXPECT_EQ(ClearNode({2, 5s}).encode(), (json{{"node", 2}, {"timeout_ms", 5000}}));
  EXPECT_EQ(InstanceEnd({"exited with status 0", false, std::nullopt, ""}).encode(),
            (json{{"exit", "exited with status 0"}, {"oom_killed", false}, {"leftovers", nullptr}}));
  EXPECT_EQ(ActionAnswer({200, "ok", 1500us, {}}).encode(), (json{{"status", 200}, {"body", "ok"}, {"elapsed_us", 1500}}));
}

TEST(AgentCalls, RequestsWithoutOptionalFieldsGetTheAgentsDefaults) {
  auto stop = InstanceStop::decode(json{{"name", "fn-1"}});
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  EXPECT_EQ(stop->grace, 2s);
  auto offline = OfflineNode::decode(json{{"node", 1}});
  ASSERT_TRUE(offline.ok()) << offline.error().message();
  EXPECT_EQ(offline->timeout, 10s);
}

TEST(AgentCalls, RequestFieldsAreBounded) {
  EXPECT_THAT(InstanceStop::decode(json{{"name", "fn-1"}, {"grace_ms", 600'001}}).error().message(),
              HasSubstr("'grace_ms'"));
  EXPECT_THAT(InstanceStop::decode(json{{"name", std::string(65, 'n')}}).error().message(), HasSubstr("'name'"));
  for (int node : {0, 1024}) {
    EXPECT_THAT(OfflineNode::decode(json{{"node", node}}).error().message(), HasSubstr("'node'")) << node;
  }
  EXPECT_THAT(OfflineNode::decode(json{{"node", 1}, {"timeout_ms", -1}}).error().message(), HasSubstr("'timeout_ms'"));
  EXPECT_THAT(InstanceSignal::decode(json{{"name", "fn-1"}, {"signal", "KILL"}}).error().message(),
              HasSubstr("field 'signal' must be USR1 or USR2"));
  EXPECT_THAT(Preload::decode(json{{"paths", {1}}}).error().message(), HasSubstr("'paths'"));

  const json invoke{{"name", "i1"}, {"port", 8080}, {"path", "/run"}, {"body", ""}, {"timeout_ms", 1000}};
  ASSERT_TRUE(Invoke::decode(invoke).ok());
  for (const auto& [field, bad, says] :
       {std::tuple{"port", json(1023), "'port'"}, {"port", json(65536), "'port'"},
        {"path", json("/other"), "field 'path' must be /init or /run"},
        {"body", json(std::string(Invoke::kMaxBodyBytes + 1, 'b')), "'body'"},
        {"timeout_ms", json(600'001), "'timeout_ms'"}}) {
    json body = invoke;
    body[field] = bad;
    auto refused = Invoke::decode(body);
    ASSERT_FALSE(refused.ok()) << field;
    EXPECT_THAT(refused.error().message(), HasSubstr(says));
  }
  json no_timeout = invoke;
  no_timeout.erase("timeout_ms");
  EXPECT_THAT(Invoke::decode(no_timeout).error().message(), HasSubstr("'timeout_ms' is missing"));
}

}  // namespace
}  // namespace hotmem::protocol

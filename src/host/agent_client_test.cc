// The host's agent client against a fake agent on the other end of a
// socketpair: the test thread plays the guest, the client runs for real.
#include "host/agent_client.h"

#include <sys/socket.h>

#include <array>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "common/socket.h"
#include "common/test_helpers.h"
#include "protocol/frame.h"
#include "protocol/messages.h"

namespace hotmem::host {
namespace {

using test::contains;

using namespace std::chrono_literals;

json ping_body() {
  return {{"agent_version", "0.1.0"}, {"kernel", "6.1.0-18-amd64"}, {"uptime_ms", 6021}, {"cmdline", "console=ttyS0"}};
}

// The guest side of the channel.
class FakeAgent {
 public:
  explicit FakeAgent(UniqueFd fd) : fd_(std::move(fd)) {}

  // The next request the host sent; fails the test if none arrives in time.
  protocol::Request read_request(Clock::duration timeout = 5s) {
    Deadline deadline(timeout);
    for (;;) {
      if (auto payload = decoder_.next()) {
        auto request = protocol::decode_request(*payload);
        EXPECT_TRUE(request.ok()) << request.error().message();
        return request.ok() ? *request : protocol::Request{};
      }
      std::array<char, 4096> buf;
      auto n = read_some(fd_.get(), buf, deadline);
      if (!n || *n == 0) {
        ADD_FAILURE() << "no request from the host: " << (n ? "closed" : n.error().message());
        return {};
      }
      EXPECT_TRUE(decoder_.feed(std::string_view(buf.data(), *n)).ok());
    }
  }

  void send_raw(std::string_view bytes) {
    Status s = write_all(fd_.get(), bytes, Deadline(5s));
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
  void answer(const protocol::Response& response) {
    send_raw(protocol::encode_frame(protocol::encode_response(response)));
  }
  void answer_ok(std::uint64_t id, json body) { answer({id, true, "", std::move(body)}); }
  void answer_error(std::uint64_t id, std::string message) { answer({id, false, std::move(message), json::object()}); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  protocol::FrameDecoder decoder_;
};

class AgentClientTest : public testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_ = std::make_unique<AgentClient>(UniqueFd(fds[0]));
    agent_ = std::make_unique<FakeAgent>(UniqueFd(fds[1]));
  }

  // Runs `fn` on another thread, as the host would, while the test plays the agent.
  template <class Fn>
  auto in_background(Fn fn) {
    return std::async(std::launch::async, std::move(fn));
  }

  // Waits for a background call, failing (rather than hanging) if it never returns.
  template <class T>
  T await(std::future<T>& f, Clock::duration limit = 10s) {
    if (f.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << "the call did not return";
      std::abort();  // a stuck client thread would hang the whole test binary
    }
    return f.get();
  }

  std::unique_ptr<AgentClient> client_;
  std::unique_ptr<FakeAgent> agent_;
};

TEST_F(AgentClientTest, PingAnswerIsParsedIntoAgentInfo) {
  auto result = in_background([&] { return client_->ping(5s); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "ping");
  EXPECT_TRUE(request.body.is_object());
  EXPECT_TRUE(request.body.empty());
  agent_->answer_ok(request.id, ping_body());

  auto info = await(result);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->agent_version, "0.1.0");
  EXPECT_EQ(info->kernel, "6.1.0-18-amd64");
  EXPECT_EQ(info->uptime_ms, 6021u);
  EXPECT_EQ(info->cmdline, "console=ttyS0");
  EXPECT_FALSE(client_->broken().has_value());
}

TEST_F(AgentClientTest, EachCallGetsANewId) {
  std::uint64_t previous = 0;
  for (int i = 0; i < 3; ++i) {
    auto result = in_background([&] { return client_->ping(5s); });
    const protocol::Request request = agent_->read_request();
    agent_->answer_ok(request.id, ping_body());
    ASSERT_TRUE(await(result).ok());
    if (i > 0) {
      EXPECT_GT(request.id, previous);
    }
    previous = request.id;
  }
}

TEST_F(AgentClientTest, PingAnswerLackingAFieldIsAnErrorNamingIt) {
  auto result = in_background([&] { return client_->ping(5s); });
  const protocol::Request request = agent_->read_request();
  json body = ping_body();
  body.erase("uptime_ms");
  agent_->answer_ok(request.id, body);

  auto info = await(result);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "ping answer")) << info.error().message();
  EXPECT_TRUE(contains(info.error().message(), "'uptime_ms'")) << info.error().message();
  EXPECT_EQ(info.error().code(), ErrorCode::kGuestMisbehaved);
  EXPECT_FALSE(client_->broken().has_value());
}

TEST_F(AgentClientTest, ErrorAnswerSurfacesTheAgentsMessage) {
  auto result = in_background([&] { return client_->call("instance_stop", json{{"name", "fn-9"}}, 5s); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "instance_stop");
  EXPECT_EQ(request.body["name"], "fn-9");
  agent_->answer_error(request.id, "no instance 'fn-9'");

  auto answer = await(result);
  ASSERT_FALSE(answer.ok());
  EXPECT_TRUE(contains(answer.error().message(), "no instance 'fn-9'")) << answer.error().message();
  EXPECT_TRUE(contains(answer.error().message(), "instance_stop")) << answer.error().message();
  // An error answer is a normal answer: the channel stays usable.
  EXPECT_FALSE(client_->broken().has_value());
}

TEST_F(AgentClientTest, SilentAgentTimesOutWithoutHanging) {
  const auto start = Clock::now();
  auto info = client_->ping(200ms);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "did not answer ping within 200 ms")) << info.error().message();
  EXPECT_EQ(info.error().code(), ErrorCode::kUnavailable);
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 2s);
  // Silence is not a protocol violation.
  EXPECT_FALSE(client_->broken().has_value());
}

TEST_F(AgentClientTest, LateAnswerIsDroppedAndTheChannelKeepsWorking) {
  auto timed_out = client_->ping(200ms);
  ASSERT_FALSE(timed_out.ok());
  const protocol::Request stale = agent_->read_request();
  agent_->answer_ok(stale.id, ping_body());  // too late

  auto result = in_background([&] { return client_->ping(5s); });
  const protocol::Request fresh = agent_->read_request();
  EXPECT_NE(fresh.id, stale.id);
  agent_->answer_ok(fresh.id, json{{"agent_version", "fresh"}, {"kernel", "k"}, {"uptime_ms", 1}, {"cmdline", ""}});

  auto info = await(result);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->agent_version, "fresh");
  EXPECT_FALSE(client_->broken().has_value());
}

TEST_F(AgentClientTest, AnswersAreMatchedToCallsById) {
  auto first = in_background([&] { return client_->call("first", json::object(), 5s); });
  const protocol::Request a = agent_->read_request();
  auto second = in_background([&] { return client_->call("second", json::object(), 5s); });
  const protocol::Request b = agent_->read_request();
  ASSERT_NE(a.id, b.id);
  // Answer out of order, each echoing the request's type.
  agent_->answer_ok(b.id, json{{"type", b.type}});
  agent_->answer_ok(a.id, json{{"type", a.type}});

  auto first_answer = await(first);
  auto second_answer = await(second);
  ASSERT_TRUE(first_answer.ok()) << first_answer.error().message();
  ASSERT_TRUE(second_answer.ok()) << second_answer.error().message();
  EXPECT_EQ((*first_answer)["type"], "first");
  EXPECT_EQ((*second_answer)["type"], "second");
}

TEST_F(AgentClientTest, GarbageFromTheGuestBreaksTheChannel) {
  auto result = in_background([&] { return client_->ping(10s); });
  agent_->read_request();
  agent_->send_raw("this is not a frame, just noise");

  auto info = await(result);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "malformed frame")) << info.error().message();
  auto reason = client_->broken();
  ASSERT_TRUE(reason.has_value());
  EXPECT_TRUE(contains(*reason, "bad frame magic")) << *reason;

  // Later calls fail at once, with the reason, instead of waiting out their timeout.
  const auto start = Clock::now();
  auto later = client_->ping(10s);
  EXPECT_LT(Clock::now() - start, 1s);
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(info.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(later.error().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(later.error().message(), "agent channel broken")) << later.error().message();
  EXPECT_TRUE(contains(later.error().message(), "bad frame magic")) << later.error().message();
}

TEST_F(AgentClientTest, OversizedFrameHeaderBreaksTheChannel) {
  auto result = in_background([&] { return client_->ping(10s); });
  agent_->read_request();
  const std::uint32_t length = protocol::kDefaultMaxPayload + 1;
  std::string header{'H', 'M', static_cast<char>(protocol::kProtocolVersion), '\0'};
  for (int shift = 24; shift >= 0; shift -= 8) header += static_cast<char>((length >> shift) & 0xff);
  agent_->send_raw(header);

  auto info = await(result);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "oversized")) << info.error().message();
  ASSERT_TRUE(client_->broken().has_value());
  EXPECT_FALSE(client_->ping(10s).ok());
}

TEST_F(AgentClientTest, MalformedMessageInAValidFrameBreaksTheChannel) {
  auto result = in_background([&] { return client_->ping(10s); });
  agent_->read_request();
  agent_->send_raw(protocol::encode_frame("{\"id\": 1, \"ok\": tru"));

  auto info = await(result);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "malformed message")) << info.error().message();
  EXPECT_TRUE(client_->broken().has_value());
}

TEST_F(AgentClientTest, AnswerToAnIdNeverSentBreaksTheChannel) {
  auto result = in_background([&] { return client_->ping(10s); });
  const protocol::Request request = agent_->read_request();
  agent_->answer_ok(request.id + 100, ping_body());

  auto info = await(result);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "never sent")) << info.error().message();
  auto reason = client_->broken();
  ASSERT_TRUE(reason.has_value());
  EXPECT_TRUE(contains(*reason, std::to_string(request.id + 100))) << *reason;
  EXPECT_FALSE(client_->ping(10s).ok());
}

TEST_F(AgentClientTest, AnswerToIdZeroBreaksTheChannel) {
  // Ids start at 1, so id 0 was never sent either.
  auto result = in_background([&] { return client_->ping(500ms); });
  agent_->read_request();
  agent_->answer_ok(0, ping_body());

  auto info = await(result);
  EXPECT_FALSE(info.ok());
  EXPECT_TRUE(client_->broken().has_value()) << "an answer to request 0, never sent, was accepted as a late answer";
}

TEST_F(AgentClientTest, ClosingThePeerFailsPendingCalls) {
  auto result = in_background([&] { return client_->ping(10s); });
  agent_->read_request();
  const auto start = Clock::now();
  agent_->close();

  auto info = await(result);
  EXPECT_LT(Clock::now() - start, 5s);
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "closed")) << info.error().message();
  ASSERT_TRUE(client_->broken().has_value());
  EXPECT_TRUE(contains(*client_->broken(), "closed")) << *client_->broken();

  const auto later_start = Clock::now();
  auto later = client_->ping(10s);
  EXPECT_FALSE(later.ok());
  EXPECT_LT(Clock::now() - later_start, 1s);
}

TEST_F(AgentClientTest, WaitReadyReturnsOnceTheAgentAnswers) {
  auto result = in_background([&] { return client_->wait_ready(Deadline(10s), [] { return true; }); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "ping");
  agent_->answer_ok(request.id, ping_body());
  auto info = await(result);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->kernel, "6.1.0-18-amd64");
}

TEST_F(AgentClientTest, WaitReadyStopsWhenTheVmDies) {
  auto info = client_->wait_ready(Deadline(10s), [] { return false; });
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(contains(info.error().message(), "stopped")) << info.error().message();
}

TEST_F(AgentClientTest, MemoryReportIsParsed) {
  auto result = in_background([&] { return client_->memory_report(5s); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "memory_report");
  agent_->answer_ok(request.id,
                    json{{"nodes",
                          {{"0", "Node 0 MemTotal: 524288 kB\nNode 0 MemFree: 262144 kB\n"},
                           {"1", "Node 1 MemTotal: 1048576 kB\nNode 1 MemFree: 1048576 kB\n"}}},
                         {"vmstat", "pgmigrate_success 17\n"}});
  auto report = await(result);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->node_total_bytes(1), 1024u * 1024 * 1024);
  EXPECT_EQ(report->node_used_bytes(0), 256u * 1024 * 1024);
  ASSERT_TRUE(report->pgmigrate_success().ok());
  EXPECT_EQ(*report->pgmigrate_success(), 17u);
}

TEST_F(AgentClientTest, MemoryReportWithAnInvalidBodyIsAnError) {
  auto result = in_background([&] { return client_->memory_report(5s); });
  const protocol::Request request = agent_->read_request();
  agent_->answer_ok(request.id, json{{"nodes", {{"x", 12}}}, {"vmstat", 5}});

  auto report = await(result);
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(contains(report.error().message(), "memory report from the guest")) << report.error().message();
  EXPECT_TRUE(contains(report.error().message(), "not a node number")) << report.error().message();
  // A bad body is the agent's problem, not the channel's.
  EXPECT_FALSE(client_->broken().has_value());
}

TEST_F(AgentClientTest, StartInstanceSendsTheLaunchAndReturnsThePid) {
  protocol::InstanceStart launch;
  launch.program.name = "fn-1";
  launch.program.argv = {"/bin/fn", "--port", "8080"};
  launch.program.env = {{"LANG", "C"}};
  launch.node = 2;
  launch.ready_timeout = 3s;
  auto result = in_background([&] { return client_->start_instance(launch); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "instance_start");
  EXPECT_EQ(request.body["name"], "fn-1");
  EXPECT_EQ(request.body["argv"], json({"/bin/fn", "--port", "8080"}));
  EXPECT_EQ(request.body["env"]["LANG"], "C");
  EXPECT_EQ(request.body["node"], 2);
  EXPECT_EQ(request.body["wait_ready"], true);
  EXPECT_EQ(request.body["ready_timeout_ms"], 3000);
  EXPECT_FALSE(request.body.contains("root"));
  agent_->answer_ok(request.id, json{{"pid", 321}});

  auto pid = await(result);
  ASSERT_TRUE(pid.ok()) << pid.error().message();
  EXPECT_EQ(*pid, 321);
}

TEST_F(AgentClientTest, StartInstanceWithoutNodeOmitsIt) {
  protocol::InstanceStart launch;
  launch.program.name = "fn-2";
  launch.program.argv = {"/bin/fn"};
  auto result = in_background([&] { return client_->start_instance(launch); });
  const protocol::Request request = agent_->read_request();
  EXPECT_FALSE(request.body.contains("node"));
  agent_->answer_ok(request.id, json{{"pid", 0}});

  auto pid = await(result);
  ASSERT_FALSE(pid.ok()) << "pid 0 accepted";
  EXPECT_TRUE(contains(pid.error().message(), "'pid'")) << pid.error().message();
}

TEST_F(AgentClientTest, StartInstanceSendsItsRootDirectory) {
  protocol::InstanceStart launch;
  launch.program.name = "py-1";
  launch.program.argv = {"/usr/bin/python3", "/opt/hotmem/ow_runner.py"};
  launch.program.root = "/rootfs";
  auto result = in_background([&] { return client_->start_instance(launch); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.body["root"], "/rootfs");
  agent_->answer_ok(request.id, json{{"pid", 77}});
  auto pid = await(result);
  ASSERT_TRUE(pid.ok()) << pid.error().message();
}

TEST_F(AgentClientTest, StopInstanceReturnsHowItEnded) {
  auto result = in_background([&] { return client_->stop_instance("fn-1", 2s, 5s); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "instance_stop");
  EXPECT_EQ(request.body["name"], "fn-1");
  EXPECT_EQ(request.body["grace_ms"], 2000);
  agent_->answer_ok(request.id, json{{"exit", "killed by signal 15 (Terminated)"}});

  auto end = await(result);
  ASSERT_TRUE(end.ok()) << end.error().message();
  EXPECT_EQ(end->exit, "killed by signal 15 (Terminated)");
  EXPECT_FALSE(end->oom_killed);
  EXPECT_FALSE(end->left.has_value());
  EXPECT_TRUE(end->cleanup_error.empty());
}

TEST_F(AgentClientTest, StopInstanceReadsWhatWasLeftOnTheNode) {
  auto result = in_background([&] { return client_->stop_instance("fn-1", 2s, 5s); });
  const protocol::Request request = agent_->read_request();
  agent_->answer_ok(request.id, json{{"exit", "killed by signal 9 (Killed)"},
                                     {"oom_killed", true},
                                     {"cleanup_error", "rmdir: busy"},
                                     {"leftovers",
                                      {{"node", 2},
                                       {"used_bytes", 4096},
                                       {"anon_bytes", 1024},
                                       {"file_bytes", 2048},
                                       {"shmem_bytes", 512}}}});
  auto end = await(result);
  ASSERT_TRUE(end.ok()) << end.error().message();
  EXPECT_TRUE(end->oom_killed);
  EXPECT_EQ(end->cleanup_error, "rmdir: busy");
  ASSERT_TRUE(end->left.has_value());
  EXPECT_EQ(*end->left, (protocol::NodeLeftovers{2, 4096, 1024, 2048, 512}));
}

TEST_F(AgentClientTest, StopInstanceWithAMalformedAnswerIsAnError) {
  auto result = in_background([&] { return client_->stop_instance("fn-1", 2s, 5s); });
  const protocol::Request request = agent_->read_request();
  agent_->answer_ok(request.id, json{{"exit", "exited with status 0"},
                                     {"leftovers", {{"node", 2}, {"used_bytes", -1}}}});
  auto end = await(result);
  ASSERT_FALSE(end.ok());
  EXPECT_TRUE(contains(end.error().message(), "instance_stop answer")) << end.error().message();
  EXPECT_TRUE(contains(end.error().message(), "leftovers")) << end.error().message();
  EXPECT_FALSE(client_->broken().has_value());

  auto again = in_background([&] { return client_->stop_instance("fn-1", 2s, 5s); });
  const protocol::Request second = agent_->read_request();
  agent_->answer_ok(second.id, json{{"exit", 0}});
  auto bad_exit = await(again);
  ASSERT_FALSE(bad_exit.ok());
  EXPECT_TRUE(contains(bad_exit.error().message(), "'exit'")) << bad_exit.error().message();
}

TEST_F(AgentClientTest, TypedCallSendsItsTypeAndBodyAndDecodesTheAnswer) {
  auto result = in_background([&] { return client_->call(protocol::Preload{{"/rootfs/usr/lib"}}, 5s); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "preload");
  EXPECT_EQ(request.body, (json{{"paths", {"/rootfs/usr/lib"}}}));
  agent_->answer_ok(request.id, json{{"bytes", 4096}});
  auto preloaded = await(result);
  ASSERT_TRUE(preloaded.ok()) << preloaded.error().message();
  EXPECT_EQ(preloaded->bytes, 4096u);
}

TEST_F(AgentClientTest, OfflineNodeSendsItsTimeoutAndChecksTheAnswer) {
  auto result = in_background([&] { return client_->offline_node(3, 1500ms); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "offline_node");
  EXPECT_EQ(request.body, (json{{"node", 3}, {"timeout_ms", 1500}}));
  agent_->answer_ok(request.id, json{{"elapsed_ms", 12.5}});
  Status done = await(result);
  EXPECT_TRUE(done.ok()) << done.error().message();

  auto again = in_background([&] { return client_->offline_node(3, 1500ms); });
  const protocol::Request second = agent_->read_request();
  agent_->answer_ok(second.id, json{{"elapsed_ms", -1}});
  Status refused = await(again);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kGuestMisbehaved);
  EXPECT_TRUE(contains(refused.error().message(), "offline_node answer")) << refused.error().message();
}

TEST_F(AgentClientTest, InvokeReturnsTheActionsAnswer) {
  auto result = in_background([&] { return client_->invoke("i1", 8080, "/run", R"({"value":{}})", 2s); });
  const protocol::Request request = agent_->read_request();
  EXPECT_EQ(request.type, "invoke");
  EXPECT_EQ(request.body,
            (json{{"name", "i1"},
                  {"port", 8080},
                  {"path", "/run"},
                  {"body", R"({"value":{}})"},
                  {"timeout_ms", 2000}}));
  agent_->answer_ok(request.id, json{{"status", 200}, {"body", "{}"}, {"elapsed_us", 900}});
  auto answer = await(result);
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  EXPECT_EQ(*answer, (ActionAnswer{200, "{}", 900us, {}}));
}

}  // namespace
}  // namespace hotmem::host

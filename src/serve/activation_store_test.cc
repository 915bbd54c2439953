// Activation records without a VM: the ring of K per function, the log's
// cap and its truncation marker, and record_invocation against a fake
// function that answers, fails or never reaches its action.
#include "serve/activation_store.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

using testing::HasSubstr;

Activation made(const std::string& function, const std::string& id) {
  Activation a;
  a.id = id;
  a.function = function;
  a.status = kActivationSuccess;
  return a;
}

TEST(ActivationStore, KeepsTheNewestKOfEachFunction) {
  ActivationStore store(ActivationLimits{3, 1024, 4096});
  for (int i = 0; i < 5; ++i) store.record(made("f", fmt::format("{:032}", i)));
  store.record(made("g", fmt::format("{:032}", 99)));
  auto newest = store.list("f", 10);
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0].id, fmt::format("{:032}", 4));
  EXPECT_EQ(newest[2].id, fmt::format("{:032}", 2));
  EXPECT_EQ(store.list("f", 1).size(), 1u);
  EXPECT_FALSE(store.find(fmt::format("{:032}", 1))) << "an activation pushed out of the ring is still found";
  EXPECT_TRUE(store.find(fmt::format("{:032}", 3)));
  EXPECT_EQ(store.list("g", 10).size(), 1u);
  store.forget("f");
  EXPECT_TRUE(store.list("f", 10).empty());
  EXPECT_FALSE(store.find(fmt::format("{:032}", 4)));
  EXPECT_TRUE(store.find(fmt::format("{:032}", 99)));
}

TEST(ActivationStore, IdsAre32HexDigitsAndDiffer) {
  ActivationStore store;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = store.new_id();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ASSERT_TRUE(ActivationStore::is_id(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  for (const char* bad : {"", "xyz", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
                          "0123456789ABCDEF0123456789abcdef", "0123456789abcdef0123456789abcdeg"}) {
    EXPECT_FALSE(ActivationStore::is_id(bad)) << bad;
  }
}

TEST(ActivationStore, LimitsOutOfBoundsAreRefused) {
  EXPECT_TRUE(check_activation_limits(ActivationLimits{}));
  EXPECT_FALSE(check_activation_limits(ActivationLimits{0, 1024, 4096}));
  EXPECT_FALSE(check_activation_limits(ActivationLimits{ActivationLimits::kMaxPerFunction + 1, 1024, 4096}));
  EXPECT_FALSE(check_activation_limits(ActivationLimits{10, protocol::ActionLogs::kMaxBytes + 1, 4096}));
  EXPECT_TRUE(check_activation_limits(ActivationLimits{10, 0, 4096}));
}

TEST(FormatLogs, StampsEachLineAndMarksATruncatedLogAtItsEnd) {
  protocol::ActionLogs logs{{{protocol::LogStream::kStdout, 0, "hi"}, {protocol::LogStream::kStderr, 1500, "err"}},
                            false};
  const auto began = WallClock::time_point(std::chrono::milliseconds(1'764'415'405'123));  // 2025-11-29T11:23:25.123Z
  std::vector<std::string> out;
  EXPECT_FALSE(format_logs(logs, began, 1024, out));
  EXPECT_EQ(out, (std::vector<std::string>{"2025-11-29T11:23:25.123Z stdout: hi", "2025-11-29T11:23:26.623Z stderr: err"}));

  // The guest sent more than the limit: the host cuts it all the same.
  out.clear();
  EXPECT_TRUE(format_logs(logs, began, protocol::ActionLogs::kLineOverhead + 2, out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "2025-11-29T11:23:25.123Z stdout: hi");
  EXPECT_THAT(out[1], HasSubstr("[hotmem] the log is truncated"));

  // The agent said it dropped lines.
  out.clear();
  logs.truncated = true;
  EXPECT_TRUE(format_logs(logs, began, 1024, out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_THAT(out.back(), HasSubstr("truncated"));
}

// A function that does what the test says, filling its trace as a real one does.
class FakeFunction final : public Function {
 public:
  enum class Outcome { kAnswer, kActionFails, kNoInstance, kRunsTooLong };
  explicit FakeFunction(Outcome outcome) : outcome_(outcome) { spec_.name = "fake"; }

  Result<InvocationResult> invoke(const json&, Clock::duration, ActivationTrace& trace) override {
    asked_log_bytes = trace.log_bytes;
    asked_run_limit = trace.run_limit;
    if (outcome_ == Outcome::kRunsTooLong) {
      // As the N:1 and 1:1 functions do when the agent's wait for /run ran out.
      const auto allowed = run_allowance(Clock::now() + std::chrono::seconds(60), trace);
      return run_failure(Error(ErrorCode::kUnavailable, "no answer from the instance on port 8080"), allowed, trace,
                         "i7");
    }
    if (outcome_ == Outcome::kNoInstance) {
      return Error(ErrorCode::kUnavailable, "no instance became free within 1 s").with_reason("no instance free");
    }
    InvocationResult out;
    out.cold = true;
    out.instance = "i7";
    trace.cold = true;
    trace.instance = "i7";
    host::ActionAnswer answer{outcome_ == Outcome::kAnswer ? 200 : 502,
                              outcome_ == Outcome::kAnswer ? R"({"ok": true})" : R"({"error": "ZeroDivisionError"})",
                              std::chrono::milliseconds(5),
                              {{{protocol::LogStream::kStdout, 1, "printed"}}, false}};
    return finish_invocation(answer, Clock::now(), out, metrics_, spec_.name, latencies_, trace);
  }
  json describe() override { return json::object(); }
  const FunctionSpec& spec() const override { return spec_; }
  std::uint64_t rss_bytes() override { return 0; }
  VmState state() override { return VmState::kReady; }
  std::size_t peak_instances() override { return 1; }
  void shutdown() override {}
  std::vector<IdleInstance> idle_instances() override { return {}; }
  std::size_t evict(const std::vector<std::string>&) override { return 0; }

  std::size_t asked_log_bytes = 0;
  std::optional<Clock::duration> asked_run_limit;

 private:
  Outcome outcome_;
  FunctionSpec spec_;
  RecentLatencies latencies_;
  Metrics metrics_;
};

TEST(RecordInvocation, AnAnswerIsRecordedWithItsLogsAndCarriesItsId) {
  ActivationStore store(ActivationLimits{10, 2048, 4096});
  FakeFunction f(FakeFunction::Outcome::kAnswer);
  const std::string id = store.new_id();
  auto outcome = record_invocation(f, json::object(), std::chrono::seconds(1), store, id);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  EXPECT_EQ(outcome->activation_id, id);
  EXPECT_EQ(outcome->to_json()["activation_id"], id);
  EXPECT_EQ(f.asked_log_bytes, 2048u);
  auto a = store.find(id);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->function, "fake");
  EXPECT_EQ(a->status, kActivationSuccess);
  EXPECT_TRUE(a->cold);
  EXPECT_EQ(a->instance, "i7");
  EXPECT_EQ(a->action_status, 200);
  EXPECT_EQ(a->result_bytes, std::string(R"({"ok": true})").size());
  ASSERT_EQ(a->logs.size(), 1u);
  EXPECT_THAT(a->logs[0], HasSubstr("Z stdout: printed"));
  EXPECT_LE(a->start, a->end);
  const json summary = a->summary();
  EXPECT_EQ(summary["log_lines"], 1);
  EXPECT_FALSE(summary.contains("logs"));
  EXPECT_FALSE(summary.contains("error"));
  EXPECT_EQ(a->to_json()["logs"].size(), 1u);
  EXPECT_EQ(a->result, json::parse(R"({"ok": true})"));
  EXPECT_EQ(a->to_json()["result"], a->result);

  // A result over the limit is not kept: the record says how big it was.
  ActivationStore small(ActivationLimits{10, 2048, 4});
  const std::string big = small.new_id();
  ASSERT_TRUE(record_invocation(f, json::object(), std::chrono::seconds(1), small, big, json{{"kind", "python:3"}}));
  EXPECT_THAT(small.find(big)->result.value("error", ""), HasSubstr("--activation-result-limit"));
  EXPECT_EQ(small.find(big)->annotations, json({{"kind", "python:3"}}));
}

TEST(RecordInvocation, AFailedActionKeepsItsLogsAndAFailureBeforeItIsRecordedToo) {
  ActivationStore store;
  FakeFunction failing(FakeFunction::Outcome::kActionFails);
  const std::string id = store.new_id();
  auto outcome = record_invocation(failing, json::object(), std::chrono::seconds(1), store, id);
  ASSERT_FALSE(outcome.ok());
  auto a = store.find(id);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, kActivationApplicationError);
  EXPECT_EQ(a->action_status, 502);
  EXPECT_THAT(a->error, HasSubstr("ZeroDivisionError"));
  EXPECT_EQ(a->logs.size(), 1u) << "the logs of a failed action are what its user needs most";
  EXPECT_EQ(a->result, json::parse(R"({"error": "ZeroDivisionError"})"));

  FakeFunction unreachable(FakeFunction::Outcome::kNoInstance);
  const std::string other = store.new_id();
  ASSERT_FALSE(record_invocation(unreachable, json::object(), std::chrono::seconds(1), store, other).ok());
  auto b = store.find(other);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, kActivationInternalError);
  EXPECT_EQ(b->action_status, 0);
  EXPECT_TRUE(b->instance.empty());
  EXPECT_TRUE(b->logs.empty());
  EXPECT_THAT(b->error, HasSubstr("no instance free"));
  EXPECT_THAT(b->result.value("error", ""), HasSubstr("no instance free"));
  EXPECT_EQ(store.list("fake", 10).size(), 2u);
  ActivationFilter filter;
  filter.limit = 10;
  const auto all = store.list(filter);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, other);  // newest first
  filter.skip = 1;
  EXPECT_EQ(store.list(filter).size(), 1u);
  // By start time, both bounds included.
  filter.skip = 0;
  filter.since = b->start;
  ASSERT_EQ(store.list(filter).size(), 1u);
  EXPECT_EQ(store.list(filter)[0].id, other);
  filter.since = WallClock::time_point::min();
  filter.upto = a->start;
  ASSERT_FALSE(store.list(filter).empty());
  EXPECT_EQ(store.list(filter).back().id, id);
  if (a->start < b->start) {
    EXPECT_EQ(store.list(filter).size(), 1u);
  }
  filter.upto = WallClock::time_point::max();
  filter.function = "another";
  EXPECT_TRUE(store.list(filter).empty());
}

TEST(RecordInvocation, AnActionPastItsRunLimitIsTheDevelopersErrorInOpenWhisksWords) {
  ActivationStore store;
  FakeFunction slow(FakeFunction::Outcome::kRunsTooLong);
  const std::string id = store.new_id();
  auto outcome = record_invocation(slow, json::object(), std::chrono::seconds(60), store, id, json::object(),
                                   std::chrono::milliseconds(1500));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().reason(), kActionTimedOut);
  EXPECT_EQ(slow.asked_run_limit, std::optional<Clock::duration>(std::chrono::milliseconds(1500)));
  auto a = store.find(id);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, kActivationDeveloperError);
  EXPECT_THAT(a->result.value("error", ""), HasSubstr("The action exceeded its time limits of 1500 milliseconds."));

  // Without a run limit, the same failure is the daemon's (the instance went).
  const std::string other = store.new_id();
  ASSERT_FALSE(record_invocation(slow, json::object(), std::chrono::seconds(60), store, other).ok());
  EXPECT_FALSE(slow.asked_run_limit);
  EXPECT_EQ(store.find(other)->status, kActivationInternalError);
  EXPECT_EQ(store.find(other)->error_code, ErrorCode::kUnavailable);
}

TEST(RunAllowance, IsTheTimeLeftOrTheRunLimitWhicheverIsLess) {
  ActivationTrace trace;
  const auto in_10s = Clock::now() + std::chrono::seconds(10);
  EXPECT_GT(run_allowance(in_10s, trace), std::chrono::seconds(9));
  EXPECT_EQ(run_allowance(Clock::now() - std::chrono::seconds(5), trace), std::chrono::seconds(1)) << "at least 1 s";
  trace.run_limit = std::chrono::milliseconds(200);
  EXPECT_EQ(run_allowance(in_10s, trace), std::chrono::milliseconds(200));
  trace.run_limit = std::chrono::seconds(30);
  EXPECT_LE(run_allowance(in_10s, trace), std::chrono::seconds(10));
  // Ran for less than its limit: not a timeout (the instance failed).
  const Error e = run_failure(Error(ErrorCode::kUnavailable, "gone"), std::chrono::seconds(3), trace, "i1");
  EXPECT_EQ(e.reason(), "function unavailable");
  EXPECT_THAT(e.message(), HasSubstr("invoke i1"));
}

}  // namespace
}  // namespace hotmem::serve

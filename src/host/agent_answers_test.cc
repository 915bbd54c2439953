// The parsers of the agent's answers, without a channel: what a guest may
// send, valid or not. (agent_client_test.cc covers them through AgentClient.)
#include "host/agent_answers.h"

#include <cstdint>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hotmem::host {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;

TEST(ParseActionAnswer, ReadsStatusBodyAndElapsedTime) {
  auto answer = parse_action_answer(json{{"status", 200}, {"body", R"({"ok":true})"}, {"elapsed_us", 1500}});
  ASSERT_TRUE(answer.ok()) << answer.error().message();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, R"({"ok":true})");
  EXPECT_EQ(answer->elapsed, 1500us);
}

TEST(ParseActionAnswer, StatusOutsideHttpRangeIsAnError) {
  for (int status : {99, 600, -1}) {
    auto answer = parse_action_answer(json{{"status", status}, {"body", ""}, {"elapsed_us", 0}});
    ASSERT_FALSE(answer.ok()) << status;
    EXPECT_THAT(answer.error().message(), HasSubstr("'status'"));
  }
}

TEST(ParseActionAnswer, MissingOrMistypedFieldsAreErrorsNamingThem) {
  auto no_body = parse_action_answer(json{{"status", 200}, {"elapsed_us", 0}});
  ASSERT_FALSE(no_body.ok());
  EXPECT_THAT(no_body.error().message(), HasSubstr("'body'"));

  auto body_not_text = parse_action_answer(json{{"status", 200}, {"body", json::object()}, {"elapsed_us", 0}});
  ASSERT_FALSE(body_not_text.ok());
  EXPECT_THAT(body_not_text.error().message(), HasSubstr("'body'"));

  auto negative_elapsed = parse_action_answer(json{{"status", 200}, {"body", ""}, {"elapsed_us", -5}});
  ASSERT_FALSE(negative_elapsed.ok());
  EXPECT_THAT(negative_elapsed.error().message(), HasSubstr("'elapsed_us'"));
}

// Found while writing fuzz/agent_answers_fuzz.cc: microseconds past
// INT64_MAX / 1000 overflowed (undefined behaviour) on the way to
// Clock::duration, and UINT64_MAX came out as a negative time.
TEST(ParseActionAnswer, ElapsedTimeBeyondADayIsAnError) {
  for (std::uint64_t us : {std::uint64_t{86'400'000'001}, std::uint64_t{9'300'000'000'000'000}, UINT64_MAX}) {
    auto answer = parse_action_answer(json{{"status", 200}, {"body", ""}, {"elapsed_us", us}});
    ASSERT_FALSE(answer.ok()) << us;
    EXPECT_THAT(answer.error().message(), HasSubstr("'elapsed_us'"));
  }
  auto day = parse_action_answer(json{{"status", 200}, {"body", ""}, {"elapsed_us", 86'400'000'000}});
  ASSERT_TRUE(day.ok()) << day.error().message();
  EXPECT_EQ(day->elapsed, std::chrono::hours(24));
}

TEST(ParseActionAnswer, BodyLargerThanOneMebibyteIsAnError) {
  auto answer = parse_action_answer(json{{"status", 200}, {"body", std::string((1 << 20) + 1, 'x')}, {"elapsed_us", 0}});
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(answer.error().message(), HasSubstr("'body'"));
}

TEST(ParseInstanceList, ReadsEveryEntry) {
  auto list = parse_instance_list(json{
      {"instances",
       {{{"name", "i1"}, {"pid", 42}, {"state", "running"}, {"reports", 3}, {"report", "ready"}},
        {{"name", "i2"}, {"pid", 0}, {"state", "exited"}, {"exit", "exited with status 0"}}}}});
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "i1");
  EXPECT_EQ((*list)[0].pid, 42);
  EXPECT_EQ((*list)[0].reports, 3u);
  EXPECT_EQ((*list)[0].report, "ready");
  EXPECT_EQ((*list)[1].state, "exited");
  EXPECT_EQ((*list)[1].exit, "exited with status 0");
}

TEST(ParseInstanceList, MalformedEntriesAreErrors) {
  EXPECT_FALSE(parse_instance_list(json::object()).ok());
  EXPECT_FALSE(parse_instance_list(json{{"instances", "i1"}}).ok());
  EXPECT_FALSE(parse_instance_list(json{{"instances", {{{"name", "i1"}, {"pid", -1}, {"state", "running"}}}}}).ok());
  EXPECT_FALSE(parse_instance_list(json{{"instances", {{{"name", "i1"}, {"pid", 1}, {"state", "running"},
                                                        {"reports", 1}}}}})
                   .ok());
}

}  // namespace
}  // namespace hotmem::host

// An OpenWhisk action's PUT merged (create, update), its function, its JSON.
#include "serve/openwhisk_action.h"

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

const json kCreate = json::parse(R"({
  "exec": {"kind": "python:3", "code": "def main(args):\n  return args"},
  "parameters": [{"key": "greeting", "value": "Hello"}],
  "annotations": [{"key": "owner", "value": "test"}],
  "limits": {"memory": 128, "timeout": 30000, "concurrency": 2}
})");

TEST(OpenWhiskActionPut, CreatesVersionOneWithItsLimitsAndKind) {
  auto a = merge_action_put("hello", kCreate, nullptr, 1000);
  ASSERT_TRUE(a) << a.error().message();
  const json j = action_json(*a, "guest", true);
  EXPECT_EQ(j["version"], "0.0.1");
  EXPECT_EQ(j["namespace"], "guest");
  EXPECT_EQ(j["exec"]["kind"], "python:3");
  EXPECT_EQ(j["exec"]["code"], kCreate["exec"]["code"]);
  EXPECT_EQ(j["limits"]["memory"], 128);
  EXPECT_EQ(j["limits"]["logs"], 10);
  EXPECT_EQ(j["updated"], 1000);
  EXPECT_EQ(j["annotations"],
            json::parse(R"([{"key": "owner", "value": "test"}, {"key": "exec", "value": "python:3"}])"));
  EXPECT_FALSE(action_json(*a, "guest", false)["exec"].contains("code"));
  EXPECT_FALSE(action_brief(*a, "guest").contains("parameters"));

  auto spec = to_function_spec(*a);
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->runtime, "python");
  EXPECT_EQ(spec->code, kCreate["exec"]["code"]);
  EXPECT_EQ(spec->memory_mib, 128u);
  EXPECT_EQ(spec->concurrency, 2);
  EXPECT_EQ(run_limit(*a), std::chrono::milliseconds(30000));
}

TEST(OpenWhiskActionPut, TheTimeoutIsTheRunLimitWithinOpenWhisksBounds) {
  auto plain = merge_action_put("t", json::parse(R"({"exec": {"kind": "python:3", "code": "x"}})"), nullptr, 0);
  ASSERT_TRUE(plain);
  EXPECT_EQ(run_limit(*plain), std::chrono::seconds(60)) << "OpenWhisk's default";
  auto shortest = merge_action_put("t", json::parse(R"({"limits": {"timeout": 100}})"), &*plain, 0);
  ASSERT_TRUE(shortest) << shortest.error().message();
  EXPECT_EQ(run_limit(*shortest), std::chrono::milliseconds(100));
  for (int bad : {99, 300001}) {
    auto refused = merge_action_put("t", json{{"limits", {{"timeout", bad}}}}, &*plain, 0);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().message(), "The duration must be between 100 milliseconds and 300000 milliseconds.");
  }
}

TEST(OpenWhiskActionPut, AnUpdateKeepsWhatItLeavesOutAndBumpsTheVersion) {
  auto created = merge_action_put("hello", kCreate, nullptr, 1000);
  ASSERT_TRUE(created);
  auto updated = merge_action_put("hello", json::parse(R"({"annotations": [{"key": "owner", "value": "me"}],
                                                            "limits": {"instances": 3}})"),
                                  &*created, 2000);
  ASSERT_TRUE(updated) << updated.error().message();
  EXPECT_EQ(updated->version_patch, 2);
  EXPECT_EQ(updated->exec, created->exec);
  EXPECT_EQ(updated->parameters, created->parameters);
  EXPECT_EQ(updated->limits["memory"], 128);
  EXPECT_EQ(updated->annotations[0], json::parse(R"({"key": "owner", "value": "me"})"));
  EXPECT_EQ(to_function_spec(*updated)->concurrency, 3);  // instances over concurrency
  // Only metadata changed: the same function.
  auto params = merge_action_put("hello", json::parse(R"({"parameters": []})"), &*created, 3000);
  ASSERT_TRUE(params);
  EXPECT_EQ(to_function_spec(*params)->to_json(), to_function_spec(*created)->to_json());
  EXPECT_EQ(to_function_spec(*params)->to_json(), to_function_spec(*created)->to_json());
  auto code = merge_action_put("hello", json::parse(R"({"exec": {"kind": "python:3.11", "code": "x", "main": "go"}})"),
                               &*created, 3000);
  ASSERT_TRUE(code);
  EXPECT_EQ(to_function_spec(*code)->main, "go");
  EXPECT_NE(to_function_spec(*code)->to_json(), to_function_spec(*created)->to_json());
}

TEST(OpenWhiskActionPut, RefusesWhatItCannotRunWithASentence) {
  auto node = merge_action_put("js", json::parse(R"({"exec": {"kind": "nodejs:default", "code": "x"}})"), nullptr, 0);
  ASSERT_FALSE(node);
  EXPECT_EQ(node.error().message(),
            "The specified runtime 'nodejs:default' is not supported by this platform. Valid values are: 'python:3', "
            "'python:default', 'blackbox'.");
  for (const char* bad :
       {R"({})", R"([])", R"({"exec": 1})", R"({"exec": {"code": "x"}})", R"({"exec": {"kind": "python:3"}})",
        R"({"exec": {"kind": "python:3", "code": "x", "binary": "yes"}})",
        R"({"exec": {"kind": "blackbox", "image": "openwhisk/dockerskeleton"}})",
        R"({"exec": {"kind": "blackbox", "code": "x"}})",
        R"({"exec": {"kind": "python:3", "code": "x"}, "parameters": [1]})",
        R"({"exec": {"kind": "python:3", "code": "x"}, "limits": {"memory": -1}})",
        R"({"exec": {"kind": "python:3", "code": "x"}, "publish": "yes"})"}) {
    EXPECT_FALSE(merge_action_put("bad", json::parse(bad), nullptr, 0)) << bad;
  }
  auto huge = merge_action_put(
      "big", json::parse(R"({"exec": {"kind": "python:3", "code": "x"}, "limits": {"memory": 100000}})"), nullptr, 0);
  ASSERT_TRUE(huge);
  EXPECT_FALSE(to_function_spec(*huge));  // HotMem's own range
}

TEST(OpenWhiskActionPut, ZippedPythonIsBinaryGivenOrSeenAsOpenWhiskSeesIt) {
  // "UEsDBA==" is base64 (a zip's first bytes); the npm client sends a
  // Buffer's code so, without "binary".
  for (const char* body : {R"({"exec": {"kind": "python:3", "code": "UEsDBA=="}})",
                           R"({"exec": {"kind": "python:3", "code": "x", "binary": true}})"}) {
    auto a = merge_action_put("zip", json::parse(body), nullptr, 0);
    ASSERT_TRUE(a) << body;
    EXPECT_EQ(action_json(*a, "guest", false)["exec"]["binary"], true) << body;
    EXPECT_EQ(action_brief(*a, "guest")["exec"]["binary"], true) << body;
    EXPECT_TRUE(to_function_spec(*a)->binary) << body;
  }
  for (const char* body : {R"({"exec": {"kind": "python:3", "code": "def main(a):\n  return a"}})",
                           R"({"exec": {"kind": "python:3", "code": "UEsDBA==", "binary": false}})",
                           R"({"exec": {"kind": "python:3", "code": "UEsD=A=="}})"}) {
    auto a = merge_action_put("src", json::parse(body), nullptr, 0);
    ASSERT_TRUE(a) << body;
    EXPECT_FALSE(to_function_spec(*a)->binary) << body;
  }
}

TEST(OpenWhiskActionPut, BlackboxIsTheNativeRuntimeOrTheProgramItsAnnotationNames) {
  auto builtin = merge_action_put("nat", json::parse(R"({"exec": {"kind": "blackbox", "image": "hotmem/native"}})"),
                                  nullptr, 0);
  ASSERT_TRUE(builtin) << builtin.error().message();
  auto spec = to_function_spec(*builtin);
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->runtime, "native");
  EXPECT_TRUE(spec->command.empty());
  EXPECT_EQ(action_of_spec(*spec).exec, builtin->exec);

  auto program = merge_action_put(
      "srv", json::parse(R"({"exec": {"kind": "blackbox"},
                             "annotations": [{"key": "hotmem-command", "value": ["/bin/server", "--port", "$PORT"]}]})"),
      nullptr, 0);
  ASSERT_TRUE(program);
  spec = to_function_spec(*program);
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->command, (std::vector<std::string>{"/bin/server", "--port", "$PORT"}));
  // Deployed through /v1, it shows the same annotation.
  EXPECT_EQ(to_function_spec(action_of_spec(*spec))->command, spec->command);

  auto relative = merge_action_put(
      "rel", json::parse(R"({"exec": {"kind": "blackbox"}, "annotations": [{"key": "hotmem-command", "value": ["srv"]}]})"),
      nullptr, 0);
  ASSERT_TRUE(relative);
  EXPECT_FALSE(to_function_spec(*relative));  // HotMem's own check: an absolute path
}

TEST(OpenWhiskActionPut, ParametersAreDefaultsUnderTheBody) {
  const json defaults = json::parse(R"([{"key": "greeting", "value": "Hello"}, {"key": "name", "value": "nobody"}])");
  EXPECT_EQ(merge_parameters(defaults, json{{"name", "World"}}),
            json::parse(R"({"greeting": "Hello", "name": "World"})"));
}

TEST(OpenWhiskActionStoreTest, KeepsTheLastPutByName) {
  OpenWhiskActionStore store;
  EXPECT_FALSE(store.get("a"));
  OpenWhiskAction a;
  a.name = "a";
  store.put(a);
  a.version_patch = 2;
  store.put(a);
  EXPECT_EQ(store.get("a")->version_patch, 2);
  store.erase("a");
  EXPECT_FALSE(store.get("a"));
}

}  // namespace
}  // namespace hotmem::serve

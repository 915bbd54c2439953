// An activation record as OpenWhisk answers it.
#include "serve/openwhisk_activation.h"

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

Activation record(const char* status) {
  Activation a;
  a.id = std::string(32, 'c');
  a.function = "hello";
  a.start = WallClock::time_point(std::chrono::milliseconds(1000));
  a.end = WallClock::time_point(std::chrono::milliseconds(1250));
  a.status = status;
  a.cold = true;
  a.waited = std::chrono::milliseconds(7);
  a.init = std::chrono::milliseconds(40);
  a.result = json{{"greeting", "Hello World"}};
  a.logs = {"2026-11-29T11:23:25.123Z stdout: hello World"};
  a.annotations = json{{"path", "guest/hello"}, {"kind", "python:3"}, {"version", "0.0.2"}};
  return a;
}

json annotation(const json& record, const std::string& key) {
  for (const json& kv : record["annotations"]) {
    if (kv["key"] == key) return kv["value"];
  }
  return json();
}

TEST(OpenWhiskActivation, TheFullRecordHasTheExtendedResponseAndTheAnnotations) {
  const json j = openwhisk_activation(record(kActivationSuccess), "guest");
  EXPECT_EQ(j["activationId"], std::string(32, 'c'));
  EXPECT_EQ(j["namespace"], "guest");
  EXPECT_EQ(j["subject"], "guest");
  EXPECT_EQ(j["name"], "hello");
  EXPECT_EQ(j["version"], "0.0.2");
  EXPECT_EQ(j["start"], 1000);
  EXPECT_EQ(j["duration"], 250);
  EXPECT_EQ(j["response"],
            json::parse(R"({"status": "success", "success": true, "result": {"greeting": "Hello World"}})"));
  EXPECT_EQ(j["logs"].size(), 1u);
  EXPECT_EQ(annotation(j, "path"), "guest/hello");
  EXPECT_EQ(annotation(j, "waitTime"), 7);
  EXPECT_EQ(annotation(j, "initTime"), 40);
  EXPECT_FALSE(j.contains("statusCode"));
}

TEST(OpenWhiskActivation, StatusesMapToOpenWhisksWordsAndCodes) {
  const std::pair<const char*, std::string> table[] = {{kActivationSuccess, "success"},
                                                       {kActivationApplicationError, "application error"},
                                                       {kActivationDeveloperError, "action developer error"},
                                                       {kActivationInternalError, "whisk internal error"}};
  int code = 0;
  for (const auto& [status, word] : table) {
    const Activation a = record(status);
    EXPECT_EQ(openwhisk_status_code(a), code);
    EXPECT_EQ(openwhisk_response(a)["status"], word);
    EXPECT_EQ(openwhisk_response(a)["success"], code == 0);
    const json brief = openwhisk_activation_brief(a, "guest");
    EXPECT_EQ(brief["statusCode"], code);
    EXPECT_FALSE(brief.contains("response") || brief.contains("logs"));
    // initTime only on a cold start that ran.
    EXPECT_EQ(annotation(brief, "initTime").is_null(), code != 0);
    ++code;
  }
}

}  // namespace
}  // namespace hotmem::serve

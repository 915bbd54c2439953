#include "host/action_runtime.h"

#include <gtest/gtest.h>

#include "host/guest_workloads.h"
#include "protocol/channel.h"

namespace hotmem::host {
namespace {

using nlohmann::json;

TEST(ActionRuntime, NativeRunsTheAgentsActionServerUnlessGivenACommand) {
  FunctionVmConfig vm;
  auto runtime = ActionRuntime::prepare(ActionCode{}, vm);
  ASSERT_TRUE(runtime) << runtime.error().message();
  EXPECT_FALSE(vm.rootfs_image) << "a native function needs no rootfs";
  const InstanceRequest request = runtime->instance("i1");
  EXPECT_EQ(request.program.name, "i1");
  EXPECT_EQ(request.program.argv, action_argv());
  EXPECT_FALSE(request.program.root);
  ASSERT_TRUE(request.actions) << "an action instance gets a port";
  EXPECT_FALSE(request.actions->init) << "a native action server needs no /init";

  ActionCode own;
  own.command = {"/bin/my-server", "--fast"};
  auto custom = ActionRuntime::prepare(own, vm);
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->instance("i2").program.argv, own.command);
}

TEST(ActionRuntime, PythonWithoutItsRootfsSaysToRunSetup) {
  FunctionVmConfig vm;
  vm.rootfs_image = "/nonexistent/python-bookworm.squashfs";
  ActionCode code;
  code.runtime = ActionCode::Runtime::kPython;
  code.code = "def main(args):\n    return args\n";
  auto runtime = ActionRuntime::prepare(code, vm);
  ASSERT_FALSE(runtime);
  EXPECT_NE(runtime.error().message().find("./scripts/setup"), std::string::npos) << runtime.error().message();
}

TEST(ActionResult, AJsonObjectWith2xxIsTheResult) {
  auto result = action_result(ActionAnswer{200, R"({"sum": 3})", std::chrono::milliseconds(4), {}});
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ((*result)["sum"], 3);
  EXPECT_EQ(run_body(json{{"a", 1}}), R"({"value":{"a":1}})");
}

TEST(ActionResult, AnythingButAJsonObjectIsABadAnswer) {
  for (const char* body : {"", "[1]", "42", "{\"open\": ", "null"}) {
    auto result = action_result(ActionAnswer{200, body, {}, {}});
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().code(), ErrorCode::kGuestMisbehaved) << body;
    EXPECT_EQ(result.error().reason(), "bad answer from the action") << body;
  }
}

TEST(ActionResult, ANon2xxStatusIsAFailedActionThatSaysWhat) {
  auto result = action_result(ActionAnswer{502, R"({"error": "division by zero"})", {}, {}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kGuestMisbehaved);
  EXPECT_EQ(result.error().reason(), "the action failed");
  EXPECT_NE(result.error().message().find("division by zero"), std::string::npos) << result.error().message();
}

}  // namespace
}  // namespace hotmem::host

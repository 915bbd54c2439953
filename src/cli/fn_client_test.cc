// `hotmem fn`: its command line as requests (deploy bodies, parameters),
// and the built binary against an in-process daemon without VMs: answers,
// the daemon's detail on every 4xx/5xx and a non-zero exit, a daemon that is
// not there.
#include "cli/fn_client.h"

#include <sys/wait.h>

#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/proc_stats.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "serve/daemon.h"

namespace hotmem::cli {
namespace {

using testing::HasSubstr;

struct FnRun {
  int exit_code = -1;
  std::string output;
};

FnRun run_fn(std::vector<std::string> args) {
  auto dir = TempDir::create("/tmp", "hotmem-fn-test-");
  EXPECT_TRUE(dir);
  SpawnOptions options;
  options.argv = {HOTMEM_BINARY, "fn"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.output = dir->path() / "out";
  auto child = ChildProcess::spawn(options);
  EXPECT_TRUE(child) << child.error().message();
  auto status = child->wait_for(std::chrono::seconds(30));
  EXPECT_TRUE(status) << "hotmem fn hung: " << status.error().message();
  FnRun run;
  run.output = tail_of_file(options.output, 1 << 16);
  if (status) run.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  return run;
}

std::filesystem::path write_fn_test_file(const TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.path() / name;
  std::ofstream(path) << text;
  return path;
}

TEST(FnDeployBody, APythonFileBecomesItsCodeAndTheOptionsTheirFields) {
  auto dir = TempDir::create("/tmp", "hotmem-fn-test-");
  ASSERT_TRUE(dir);
  FnDeployArgs args;
  args.name = "hello";
  args.file = write_fn_test_file(*dir, "hello.py", "def main(args):\n    return {}\n");
  args.memory = "1G";
  args.concurrency = 4;
  args.keep_alive_s = 120;
  args.mode = "hotmem";
  auto body = deploy_body(args);
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(*body, (json{{"runtime", "python"},
                         {"code", "def main(args):\n    return {}\n"},
                         {"memory_mib", 1024},
                         {"concurrency", 4},
                         {"keep_alive_s", 120},
                         {"mode", "hotmem"}}));
  args.memory = "256";  // a bare number is MiB, as everywhere in hotmem
  EXPECT_EQ((*deploy_body(args))["memory_mib"], 256);

  FnDeployArgs native;
  native.command = {"/usr/bin/hotmem-agent", "action-server"};
  auto command = deploy_body(native);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(*command, (json{{"runtime", "native"}, {"command", {"/usr/bin/hotmem-agent", "action-server"}}}));
}

TEST(FnDeployBody, BadArgumentsSayWhatIsWrong) {
  auto dir = TempDir::create("/tmp", "hotmem-fn-test-");
  ASSERT_TRUE(dir);
  const auto code = write_fn_test_file(*dir, "f.py", "def main(args):\n    return {}\n");
  const auto not_python = write_fn_test_file(*dir, "f.js", "function main() {}\n");
  const auto empty = write_fn_test_file(*dir, "empty.py", "");
  const std::vector<std::pair<FnDeployArgs, std::string>> bad{
      {FnDeployArgs{}, "one of the two"},
      {FnDeployArgs{"f", code, {"/bin/x"}, "", "", {}, {}, {}, "", ""}, "one of the two"},
      {FnDeployArgs{"f", not_python, {}, "", "", {}, {}, {}, "", ""}, "not a .py file"},
      {FnDeployArgs{"f", dir->path() / "missing.py", {}, "", "", {}, {}, {}, "", ""}, "cannot read"},
      {FnDeployArgs{"f", empty, {}, "", "", {}, {}, {}, "", ""}, "is empty"},
      {FnDeployArgs{"f", code, {}, "", "lots", {}, {}, {}, "", ""}, "--memory"},
      {FnDeployArgs{"f", code, {}, "", "1536K", {}, {}, {}, "", ""}, "whole number of MiB"},
      {FnDeployArgs{"f", {}, {"/bin/x"}, "handler", "", {}, {}, {}, "", ""}, "--main is for Python"},
  };
  for (const auto& [args, needle] : bad) {
    auto body = deploy_body(args);
    ASSERT_FALSE(body.ok()) << needle;
    EXPECT_THAT(body.error().message(), HasSubstr(needle));
  }
}

TEST(FnInvokeParams, JsonValuesAreTakenAsSuchOthersAsStringsOverTheParamFile) {
  auto dir = TempDir::create("/tmp", "hotmem-fn-test-");
  ASSERT_TRUE(dir);
  const auto file = write_fn_test_file(*dir, "p.json", R"({"name": "file", "n": 1, "keep": true})");
  auto params = invoke_params({{"name", "HotMem"}, {"n", "42"}, {"list", "[1,2]"}, {"quoted", "\"7\""}}, file);
  ASSERT_TRUE(params.ok()) << params.error().message();
  EXPECT_EQ(*params, (json{{"name", "HotMem"}, {"n", 42}, {"keep", true}, {"list", {1, 2}}, {"quoted", "7"}}));
  EXPECT_EQ(*invoke_params({}, ""), json::object());
  EXPECT_FALSE(invoke_params({{"", "x"}}, "").ok());
  EXPECT_THAT(invoke_params({}, write_fn_test_file(*dir, "bad.json", "[1, 2]")).error().message(),
              HasSubstr("must hold a JSON object"));
  EXPECT_FALSE(invoke_params({}, dir->path() / "missing.json").ok());
}

TEST(FnFormat, TablesOfFunctionsAndActivations) {
  EXPECT_EQ(format_function_list(json{{"functions", json::array()}}), "no functions deployed\n");
  const std::string functions = format_function_list(json::parse(
      R"({"functions": [{"name": "hello", "state": "ready", "model": "N:1", "runtime": "python",
          "memory_mib": 256, "concurrency": 2, "mode": "hotmem"}]})"));
  EXPECT_THAT(functions, HasSubstr("hello"));
  EXPECT_THAT(functions, HasSubstr("hotmem"));
  const std::string activations = format_activation_list(json::parse(
      R"({"activations": [{"activation_id": "0123456789abcdef0123456789abcdef", "start": 1764415405123,
          "duration_ms": 42, "cold_start": true, "instance": "i1", "status": "success", "log_lines": 3,
          "logs_truncated": true}]})"));
  EXPECT_THAT(activations, HasSubstr("0123456789abcdef0123456789abcdef 2025-11-29T11:23:25Z"));
  EXPECT_THAT(activations, HasSubstr("cold"));
  EXPECT_THAT(activations, HasSubstr("3+"));
}

class FnCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    serve::DaemonConfig config;
    config.vm.image_dir = "/nonexistent/hotmem-image";  // deployments fail fast; 1:1 ones deploy
    daemon_ = std::make_unique<serve::Daemon>(std::move(config));
    ASSERT_TRUE(daemon_->start("127.0.0.1", 0));
    url_ = "http://127.0.0.1:" + std::to_string(daemon_->port());
    auto dir = TempDir::create("/tmp", "hotmem-fn-test-");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<TempDir>(std::move(*dir));
  }
  void TearDown() override { (void)daemon_->stop(); }

  std::unique_ptr<serve::Daemon> daemon_;
  std::string url_;
  std::unique_ptr<TempDir> dir_;
};

TEST_F(FnCommand, AnswersArePrintedAndEveryErrorShowsTheDaemonsDetailWithANonZeroExit) {
  FnRun listed = run_fn({"list", "--url", url_});
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("no functions deployed"));

  FnRun missing = run_fn({"get", "nothere", "--url", url_});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("HTTP 404"));
  EXPECT_THAT(missing.output, HasSubstr("no function 'nothere'"));

  const auto code = write_fn_test_file(*dir_, "solo.py", "def main(args):\n    return {}\n");
  FnRun failed_deploy = run_fn({"--url", url_, "deploy", "boots", code.string()});
  EXPECT_EQ(failed_deploy.exit_code, 1) << failed_deploy.output;
  EXPECT_THAT(failed_deploy.output, HasSubstr("/nonexistent/hotmem-image"));

  FnRun bad_spec = run_fn({"deploy", "f", code.string(), "--concurrency", "0", "--url", url_});
  EXPECT_EQ(bad_spec.exit_code, 1) << bad_spec.output;
  EXPECT_THAT(bad_spec.output, HasSubstr("HTTP 400"));
  EXPECT_THAT(bad_spec.output, HasSubstr("concurrency"));

  // A 1:1 function deploys without a VM here; its invocation cannot boot one.
  FnRun deployed = run_fn({"deploy", "solo", code.string(), "--model", "1:1", "--memory", "256M", "--url", url_});
  EXPECT_EQ(deployed.exit_code, 0) << deployed.output;
  EXPECT_THAT(deployed.output, HasSubstr("deployed solo: python runtime, 256 MiB"));
  FnRun invoked = run_fn({"invoke", "solo", "-p", "name", "x", "--url", url_});
  EXPECT_EQ(invoked.exit_code, 1) << invoked.output;
  EXPECT_THAT(invoked.output, HasSubstr("HTTP 503, function unavailable"));
  FnRun activations = run_fn({"activations", "solo", "--url", url_});
  EXPECT_EQ(activations.exit_code, 0) << activations.output;
  EXPECT_THAT(activations.output, HasSubstr("internal error"));
  FnRun logs = run_fn({"logs", "solo", "--url", url_});
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_THAT(logs.output, HasSubstr("== activation "));
  FnRun removed = run_fn({"delete", "solo", "--url", url_});
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  FnRun gone = run_fn({"logs", "solo", "--url", url_});
  EXPECT_EQ(gone.exit_code, 1) << gone.output;
  EXPECT_THAT(gone.output, HasSubstr("unknown function"));
}

TEST_F(FnCommand, ATokenIsSentAndAMissingDaemonOrBadArgumentsFailClearly) {
  FnRun nobody = run_fn({"list", "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(nobody.exit_code, 1) << nobody.output;
  EXPECT_THAT(nobody.output, HasSubstr("cannot reach the daemon at http://127.0.0.1:1"));
  FnRun https = run_fn({"list", "--url", "https://example.com"});
  EXPECT_EQ(https.exit_code, 1) << https.output;
  EXPECT_THAT(https.output, HasSubstr("must be http://HOST[:PORT]"));
  FnRun no_token = run_fn({"list", "--url", url_, "--token-file", (dir_->path() / "none").string()});
  EXPECT_EQ(no_token.exit_code, 1) << no_token.output;
  EXPECT_THAT(no_token.output, HasSubstr("--token-file"));
  FnRun no_name = run_fn({"invoke"});
  EXPECT_NE(no_name.exit_code, 0) << no_name.output;
  FnRun odd_param = run_fn({"invoke", "f", "-p", "only-a-key", "--url", url_});
  EXPECT_NE(odd_param.exit_code, 0) << odd_param.output;
  FnRun neither = run_fn({"deploy", "f", "--url", url_});
  EXPECT_EQ(neither.exit_code, 1) << neither.output;
  EXPECT_THAT(neither.output, HasSubstr("one of the two"));
}

// A daemon with a token: `hotmem fn` sends the one in --token-file.
TEST(FnCommandToken, TheTokenFileIsSentAsABearerToken) {
  serve::DaemonConfig config;
  config.vm.image_dir = "/nonexistent/hotmem-image";
  serve::Daemon daemon(std::move(config));
  daemon.require_token("fn-test-t0ken");
  ASSERT_TRUE(daemon.start("127.0.0.1", 0));
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon.port());
  auto dir = TempDir::create("/tmp", "hotmem-fn-test-");
  ASSERT_TRUE(dir);
  const auto token = write_fn_test_file(*dir, "token", "fn-test-t0ken\n");
  std::filesystem::permissions(token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  FnRun refused = run_fn({"list", "--url", url});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("HTTP 401"));
  FnRun listed = run_fn({"list", "--url", url, "--token-file", token.string()});
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  (void)daemon.stop();
}

}  // namespace
}  // namespace hotmem::cli

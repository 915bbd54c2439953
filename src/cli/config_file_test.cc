// `--config FILE`: options from TOML or JSON, the command line winning, and
// a clear error for whatever the command does not take.
#include "cli/config_file.h"

#include <fstream>

#include <gtest/gtest.h>

#include "common/test_helpers.h"
#include "host/testing/scratch_dir.h"

namespace hotmem::cli {
namespace {

using test::contains;

// A command shaped like `hotmem serve`: an int with a range, strings, a
// choice and a flag.
class ConfigFileTest : public host::ScratchDirTest {
 protected:
  void SetUp() override {
    host::ScratchDirTest::SetUp();
    app_.require_subcommand(1);
    serve_ = app_.add_subcommand("serve", "a daemon");
    serve_->add_option("--port", port_)->check(CLI::Range(0, 65535));
    serve_->add_option("--host", host_);
    serve_->add_option("--memory-budget", budget_);
    serve_->add_option("--reclaim-policy", policy_)->check(CLI::IsMember({"sync", "harvest"}));
    serve_->add_flag("--verbose-api", verbose_);
    add_config_option(*serve_, config_);
    serve_->callback([this] {
      if (!config_.empty()) applied_ = apply_config_file(*serve_, config_);
    });
  }

  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir() / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // Parses `args` (after the program name); returns what applying the file said.
  Status run(std::vector<std::string> args) {
    args.insert(args.begin(), "hotmem");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    app_.parse(static_cast<int>(argv.size()), argv.data());
    return applied_;
  }

  CLI::App app_{"test"};
  CLI::App* serve_ = nullptr;
  std::string config_;
  int port_ = 8080;
  std::string host_ = "127.0.0.1";
  std::string budget_ = "auto";
  std::string policy_ = "sync";
  bool verbose_ = false;
  Status applied_ = ok_status();
};

TEST_F(ConfigFileTest, TomlSetsTheOptionsItNames) {
  const auto file = write("serve.toml",
                          "# a comment\nport = 9000\nhost = \"0.0.0.0\"\nmemory_budget = \"8G\"\n"
                          "reclaim-policy = \"harvest\"\nverbose-api = true\n");
  ASSERT_TRUE(run({"serve", "--config", file})) << applied_.error().message();
  EXPECT_EQ(port_, 9000);
  EXPECT_EQ(host_, "0.0.0.0");
  EXPECT_EQ(budget_, "8G");
  EXPECT_EQ(policy_, "harvest");
  EXPECT_TRUE(verbose_);
}

TEST_F(ConfigFileTest, JsonSetsTheOptionsItNames) {
  const auto file = write("serve.json", R"({"port": 9001, "host": "::1", "verbose-api": true})");
  ASSERT_TRUE(run({"serve", "--config", file})) << applied_.error().message();
  EXPECT_EQ(port_, 9001);
  EXPECT_EQ(host_, "::1");
  EXPECT_TRUE(verbose_);
  EXPECT_EQ(budget_, "auto") << "what the file leaves out keeps its default";
}

TEST_F(ConfigFileTest, TheCommandLineWinsOverTheFile) {
  const auto file = write("serve.toml", "port = 9000\nhost = \"0.0.0.0\"\n");
  ASSERT_TRUE(run({"serve", "--port", "1234", "--config", file})) << applied_.error().message();
  EXPECT_EQ(port_, 1234);
  EXPECT_EQ(host_, "0.0.0.0");
}

TEST_F(ConfigFileTest, AnythingTheCommandDoesNotTakeIsAnErrorNamingTheFileAndTheKey) {
  struct Case {
    std::string name, text, expected;
  };
  const std::vector<Case> cases{
      {"bad-key.toml", "port = 9000\nprot = 1\n", "unknown key 'prot': not an option of hotmem serve"},
      {"bad-key.json", R"({"prot": 1})", "unknown key 'prot'"},
      {"itself.toml", "config = \"other.toml\"\n", "unknown key 'config'"},
      {"section.toml", "[serve]\nport = 1\n", "section [serve]"},
      {"range.toml", "port = 70000\n", "key 'port'"},
      {"choice.json", R"({"reclaim-policy": "never"})", "key 'reclaim-policy'"},
      {"nested.json", R"({"port": {"tcp": 1}})", "key 'port' must be a string, number, boolean"},
      {"array.json", "[1, 2]", "is not a JSON object"},
      {"broken.json", R"({"port": 1,)", "is not a JSON object"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CLI::App app{"test"};  // a fresh command per case: options keep their results
    std::string config;
    int port = 0;
    std::string policy;
    CLI::App* serve = app.add_subcommand("serve");
    serve->add_option("--port", port)->check(CLI::Range(0, 65535));
    serve->add_option("--reclaim-policy", policy)->check(CLI::IsMember({"sync", "harvest"}));
    add_config_option(*serve, config);
    const auto file = write(c.name, c.text);
    const char* argv[] = {"hotmem", "serve", "--config", file.c_str()};
    app.parse(4, argv);
    Status applied = apply_config_file(*serve, file);
    ASSERT_FALSE(applied);
    EXPECT_TRUE(contains(applied.error().message(), c.expected)) << applied.error().message();
    EXPECT_TRUE(contains(applied.error().message(), file)) << applied.error().message();
  }
}

TEST_F(ConfigFileTest, AMissingFileIsRefusedWhileParsing) {
  EXPECT_THROW(run({"serve", "--config", (dir() / "absent.toml").string()}), CLI::ValidationError);
}

}  // namespace
}  // namespace hotmem::cli

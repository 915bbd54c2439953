#include "agent/instance_table.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "common/test_helpers.h"

namespace hotmem::agent {
namespace {

using nlohmann::json;
using test::contains;

json valid_body() {
  return {{"name", "fn-1"},
          {"argv", {"/usr/bin/python3", "/srv/fn.py", "--port", "8080"}},
          {"env", {{"LANG", "C.UTF-8"}, {"FN_MEMORY", "512M"}}},
          {"node", 3}};
}

// The body as the agent receives it: through JSON text, where a
// non-negative number is unsigned.
json wire(const json& body) { return json::parse(body.dump()); }

// What the agent does with an instance_start body: decodes it, then checks
// its root in this guest (Agent::instance_start).
Result<protocol::InstanceStart> parse(const json& body) {
  auto start = protocol::InstanceStart::decode(wire(body));
  if (start && start->program.root) {
    if (Status s = check_instance_root(*start->program.root); !s) return s.error();
  }
  return start;
}

std::string error_of(const json& body) {
  auto spec = parse(body);
  EXPECT_FALSE(spec.ok()) << "accepted " << body.dump();
  return spec.ok() ? "" : spec.error().message();
}

TEST(InstanceStartDecode, ReadsEveryField) {
  auto spec = parse(valid_body());
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->program.name, "fn-1");
  EXPECT_EQ(spec->program.argv, (std::vector<std::string>{"/usr/bin/python3", "/srv/fn.py", "--port", "8080"}));
  EXPECT_EQ(spec->program.env, (std::map<std::string, std::string>{{"FN_MEMORY", "512M"}, {"LANG", "C.UTF-8"}}));
  ASSERT_TRUE(spec->node.has_value());
  EXPECT_EQ(*spec->node, 3);
}

TEST(InstanceStartDecode, EnvAndNodeAreOptional) {
  json body = valid_body();
  body.erase("env");
  body.erase("node");
  auto spec = parse(body);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_TRUE(spec->program.env.empty());
  EXPECT_FALSE(spec->node.has_value());
}

TEST(InstanceStartDecode, NullNodeMeansNoBinding) {
  json body = valid_body();
  body["node"] = nullptr;
  auto spec = parse(body);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_FALSE(spec->node.has_value());
}

TEST(InstanceStartDecode, NodeRangeIsZeroTo1023) {
  for (int node : {0, 1023}) {
    json body = valid_body();
    body["node"] = node;
    auto spec = parse(body);
    ASSERT_TRUE(spec.ok()) << spec.error().message();
    EXPECT_EQ(spec->node, node);
  }
  for (const json& node : {json(-1), json(1024), json(INT64_MAX), json(UINT64_MAX)}) {
    json body = valid_body();
    body["node"] = node;
    EXPECT_TRUE(contains(error_of(body), "'node'")) << node.dump();
  }
}

TEST(InstanceStartDecode, NodeMustBeAnInteger) {
  for (const json& node : {json("1"), json(1.5), json(true), json::array({1})}) {
    json body = valid_body();
    body["node"] = node;
    EXPECT_TRUE(contains(error_of(body), "'node' must be an integer")) << node.dump();
  }
}

TEST(InstanceStartDecode, NameIsRequiredAndValidated) {
  json body = valid_body();
  body.erase("name");
  EXPECT_TRUE(contains(error_of(body), "'name' is missing"));

  body["name"] = 7;
  EXPECT_TRUE(contains(error_of(body), "'name' must be a string"));

  for (const char* bad : {"", "../x", ".hidden", "a/b", "has space"}) {
    body["name"] = bad;
    EXPECT_TRUE(contains(error_of(body), "invalid instance name")) << bad;
  }

  body["name"] = std::string(65, 'n');
  EXPECT_TRUE(contains(error_of(body), "'name'"));
  body["name"] = std::string(64, 'n');
  EXPECT_TRUE(parse(body).ok());
}

TEST(InstanceStartDecode, ArgvMustNameAProgram) {
  json body = valid_body();
  body["argv"] = json::array();
  EXPECT_TRUE(contains(error_of(body), "'argv' must name a program"));
  body.erase("argv");
  EXPECT_TRUE(contains(error_of(body), "'argv' is missing"));
}

TEST(InstanceStartDecode, ArgvMustBeAListOfStrings) {
  json body = valid_body();
  body["argv"] = "/bin/sh -c true";
  EXPECT_TRUE(contains(error_of(body), "'argv' must be a list of strings"));
  body["argv"] = {"/bin/sh", 1};
  EXPECT_TRUE(contains(error_of(body), "'argv' must contain only strings"));
  body["argv"] = {"/bin/sh", nullptr};
  EXPECT_TRUE(contains(error_of(body), "'argv'"));
  body["argv"] = {{{"program", "/bin/sh"}}};
  EXPECT_TRUE(contains(error_of(body), "'argv'"));
}

TEST(InstanceStartDecode, ArgvIsBounded) {
  json body = valid_body();
  body["argv"] = json::array();
  for (int i = 0; i < 257; ++i) body["argv"].push_back("x");
  EXPECT_TRUE(contains(error_of(body), "'argv' has more than 256 items"));

  body["argv"] = {"/bin/echo", std::string(4097, 'a')};
  EXPECT_TRUE(contains(error_of(body), "'argv' has an item longer than 4096 bytes"));

  body["argv"] = json::array();
  for (int i = 0; i < 256; ++i) body["argv"].push_back(std::string(4096, 'a'));
  EXPECT_TRUE(parse(body).ok());
}

TEST(InstanceStartDecode, EnvMustMapStringsToStrings) {
  json body = valid_body();
  body["env"] = {{"LANG", 1}};
  EXPECT_TRUE(contains(error_of(body), "'env' entry 'LANG' must be a string"));
  body["env"] = {{"LANG", nullptr}};
  EXPECT_TRUE(contains(error_of(body), "'env'"));
  body["env"] = json::array({"LANG=C"});
  EXPECT_TRUE(contains(error_of(body), "'env' must be an object"));
  body["env"] = "LANG=C";
  EXPECT_TRUE(contains(error_of(body), "'env' must be an object"));
}

TEST(InstanceStartDecode, EnvIsBounded) {
  json body = valid_body();
  body["env"] = json::object();
  for (int i = 0; i < 257; ++i) body["env"]["V" + std::to_string(i)] = "1";
  EXPECT_TRUE(contains(error_of(body), "'env' has more than 256 entries"));
  body["env"] = {{"BIG", std::string(4097, 'v')}};
  EXPECT_TRUE(contains(error_of(body), "'env' has an entry longer than 4096 bytes"));
}

TEST(InstanceStartDecode, SandboxFieldsHaveDefaults) {
  auto spec = parse(valid_body());
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_FALSE(spec->memory_max.has_value());
  EXPECT_EQ(spec->program.scratch_bytes, 64ull << 20);
  EXPECT_EQ(spec->node_bytes, 0u);
  EXPECT_FALSE(spec->wait_ready);
}

TEST(InstanceStartDecode, ReadsSandboxAndReadinessFields) {
  json body = valid_body();
  body["memory_max"] = 512ull << 20;
  body["scratch_bytes"] = 16ull << 20;
  body["node_bytes"] = 1ull << 30;
  body["wait_ready"] = true;
  body["ready_timeout_ms"] = 2500;
  auto spec = parse(body);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->memory_max, 512ull << 20);
  EXPECT_EQ(spec->program.scratch_bytes, 16ull << 20);
  EXPECT_EQ(spec->node_bytes, 1ull << 30);
  EXPECT_TRUE(spec->wait_ready);
  EXPECT_EQ(spec->ready_timeout, std::chrono::milliseconds(2500));
}

TEST(InstanceStartDecode, SizesAreBoundedAndNonNegative) {
  for (const char* field : {"memory_max", "scratch_bytes", "node_bytes"}) {
    json body = valid_body();
    body[field] = (1ull << 40) + 1;
    EXPECT_TRUE(contains(error_of(body), std::string("'") + field + "'")) << field;
    body[field] = -1;
    EXPECT_TRUE(contains(error_of(body), std::string("'") + field + "' must not be negative")) << field;
    body[field] = "1G";
    EXPECT_TRUE(contains(error_of(body), std::string("'") + field + "'")) << field;
  }
}

TEST(InstanceStartDecode, NodeBytesNeedsANode) {
  json body = valid_body();
  body.erase("node");
  body["node_bytes"] = 1ull << 30;
  EXPECT_TRUE(contains(error_of(body), "'node_bytes' needs a 'node'"));
  body["node_bytes"] = 0;
  EXPECT_TRUE(parse(body).ok());
}

TEST(InstanceStartDecode, ReadinessFieldsAreChecked) {
  json body = valid_body();
  body["wait_ready"] = "yes";
  EXPECT_TRUE(contains(error_of(body), "'wait_ready' must be true or false"));
  body = valid_body();
  body["ready_timeout_ms"] = 10 * 60 * 1000 + 1;
  EXPECT_TRUE(contains(error_of(body), "'ready_timeout_ms'"));
  body["ready_timeout_ms"] = -5;
  EXPECT_TRUE(contains(error_of(body), "'ready_timeout_ms'"));
}

// A directory shaped like a function rootfs: it has tmp, proc and dev.
class InstanceRootTest : public testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create(std::filesystem::temp_directory_path(), "hotmem-root-test-");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_.emplace(std::move(*dir));
    for (const char* d : {"tmp", "proc", "dev"}) std::filesystem::create_directory(root() / d);
  }
  std::filesystem::path root() const { return dir_->path(); }

  std::optional<TempDir> dir_;
};

TEST_F(InstanceRootTest, HasNoRootByDefault) {
  auto spec = parse(valid_body());
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_FALSE(spec->program.root.has_value());
  json body = valid_body();
  body["root"] = nullptr;
  EXPECT_FALSE(parse(body)->program.root.has_value());
}

TEST_F(InstanceRootTest, ReadsAnExistingRoot) {
  json body = valid_body();
  body["root"] = root().string();
  auto spec = parse(body);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->program.root, root().string());
}

TEST_F(InstanceRootTest, RootMustBeAbsolute) {
  json body = valid_body();
  body["root"] = "rootfs";
  EXPECT_TRUE(contains(error_of(body), "must be an absolute path"));
  body["root"] = "";
  EXPECT_TRUE(contains(error_of(body), "must be an absolute path"));
}

TEST_F(InstanceRootTest, RootMustNotClimb) {
  json body = valid_body();
  body["root"] = (root() / ".." / root().filename()).string();
  EXPECT_TRUE(contains(error_of(body), "must not contain '..'"));
  body["root"] = "/rootfs/../etc";
  EXPECT_TRUE(contains(error_of(body), "must not contain '..'"));
}

TEST_F(InstanceRootTest, RootMustExistAndSaySoForTheRootfs) {
  json body = valid_body();
  body["root"] = (root() / "missing").string();
  EXPECT_TRUE(contains(error_of(body), "is not a directory"));
  body["root"] = "/rootfs-that-is-not-here";
  EXPECT_TRUE(contains(error_of(body), "rootfs disk"));
  body["root"] = 5;
  EXPECT_TRUE(contains(error_of(body), "'root'"));
}

TEST_F(InstanceRootTest, RootNeedsItsMountPoints) {
  for (const char* d : {"tmp", "proc", "dev"}) {
    std::filesystem::remove(root() / d);
    json body = valid_body();
    body["root"] = root().string();
    const std::string m = error_of(body);
    EXPECT_TRUE(contains(m, std::string("no ") + d + " directory")) << m;
    std::filesystem::create_directory(root() / d);
  }
}

TEST(InstanceStartDecode, BodyMustBeAnObject) {
  EXPECT_FALSE(protocol::InstanceStart::decode(json::array({"fn-1"})).ok());
  EXPECT_FALSE(protocol::InstanceStart::decode(json("fn-1")).ok());
  EXPECT_FALSE(protocol::InstanceStart::decode(json::object()).ok());
}

}  // namespace
}  // namespace hotmem::agent

#include "serve/function_spec.h"

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

TEST(FunctionSpec, DefaultsFillWhatIsNotGiven) {
  auto spec = parse_function_spec("fn", json::object());
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->runtime, "native");
  EXPECT_EQ(spec->mode, "hotmem");
  EXPECT_EQ(spec->model, "N:1");
  EXPECT_EQ(spec->concurrency, 4);
  EXPECT_EQ(spec->keep_alive, std::chrono::seconds(120));
}

TEST(FunctionSpec, ReadsEveryField) {
  auto spec = parse_function_spec("fn", json{{"runtime", "native"}, {"command", {"/bin/srv", "-x"}},
                                             {"memory_mib", 512}, {"concurrency", 8}, {"vcpus", 2},
                                             {"mode", "virtio-mem"}, {"keep_alive_s", 5}});
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->command, (std::vector<std::string>{"/bin/srv", "-x"}));
  EXPECT_EQ(spec->memory_mib, 512u);
  EXPECT_EQ(spec->concurrency, 8);
  EXPECT_EQ(spec->mode, "virtio-mem");
  EXPECT_EQ(spec->keep_alive, std::chrono::seconds(5));
}

TEST(FunctionSpec, PythonNeedsCodeAndAnIdentifierAsMain) {
  EXPECT_FALSE(parse_function_spec("fn", json{{"runtime", "python"}}));
  EXPECT_TRUE(parse_function_spec("fn", json{{"runtime", "python"}, {"code", "def main(a): return a"}}));
  auto bad_main = parse_function_spec("fn", json{{"runtime", "python"}, {"code", "x"}, {"main", "os.system"}});
  ASSERT_FALSE(bad_main);
  EXPECT_NE(bad_main.error().message().find("identifier"), std::string::npos);
  EXPECT_FALSE(parse_function_spec("fn", json{{"runtime", "python"}, {"code", "x"}, {"command", {"/x"}}}));
}

TEST(FunctionSpec, BinaryIsAPythonZipFlag) {
  auto zip = parse_function_spec("fn", json{{"runtime", "python"}, {"code", "UEsDBA=="}, {"binary", true}});
  ASSERT_TRUE(zip) << zip.error().message();
  EXPECT_TRUE(zip->binary);
  EXPECT_EQ(zip->to_json()["binary"], true);
  EXPECT_FALSE(parse_function_spec("fn", json{{"runtime", "python"}, {"code", "x"}})->binary);
  EXPECT_FALSE(parse_function_spec("fn", json{{"runtime", "python"}, {"code", "x"}, {"binary", "yes"}}));
  EXPECT_FALSE(parse_function_spec("fn", json{{"runtime", "native"}, {"binary", true}}));
}

TEST(FunctionSpec, OneToOneIsAModelOfOneVcpuAndNoMemoryModeToChoose) {
  auto spec = parse_function_spec("fn", json{{"model", "1:1"}, {"memory_mib", 256}, {"concurrency", 2}});
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_EQ(spec->model, "1:1");
  EXPECT_EQ(spec->mode, "static");
  EXPECT_EQ(spec->vcpus, 1);
  EXPECT_EQ(spec->to_json()["model"], "1:1");
  EXPECT_EQ(parse_function_spec("fn", json{{"model", "N:1"}})->to_json()["model"], "N:1");
  for (const json& bad : {json{{"model", "2:1"}}, json{{"model", 1}}, json{{"model", "1:1"}, {"vcpus", 2}},
                          json{{"model", "1:1"}, {"mode", "hotmem"}}}) {
    auto e = parse_function_spec("fn", bad);
    ASSERT_FALSE(e) << bad.dump();
    EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument);
    const std::string& m = e.error().message();
    EXPECT_TRUE(m.find("'model'") != std::string::npos || m.find("'vcpus'") != std::string::npos ||
                m.find("'mode'") != std::string::npos)
        << m;
  }
  EXPECT_NE(parse_function_spec("fn", json{{"model", "2:1"}}).error().message().find("'model'"), std::string::npos);
}

TEST(FunctionSpec, ErrorsNameTheFieldAndTheRange) {
  auto e = parse_function_spec("fn", json{{"keep_alive_s", -1}});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("'keep_alive_s'"), std::string::npos) << e.error().message();
  EXPECT_FALSE(parse_function_spec("fn", json{{"memory_mib", kMaxMemoryMib + 1}}));
  EXPECT_FALSE(parse_function_spec("fn", json{{"memory_mib", 64.5}}));
  EXPECT_FALSE(parse_function_spec("../x", json::object()));
  EXPECT_FALSE(parse_function_spec("fn", json{{"runtime", 3}}));
}

}  // namespace
}  // namespace hotmem::serve

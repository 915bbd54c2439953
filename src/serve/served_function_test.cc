#include "serve/served_function.h"

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

TEST(IsIdle, NoInstanceAndEveryPartitionEmpty) {
  const json idle = json::parse(R"({"instances": [], "memory": {"mode": "hotmem",
      "partitions": [{"index": 0, "state": "empty"}, {"index": 1, "state": "empty"}]}})");
  EXPECT_TRUE(is_idle(idle));
  EXPECT_TRUE(is_idle(json::parse(R"({"instances": [], "memory": {"mode": "static"}})")));

  json busy = idle;
  busy["instances"].push_back({{"name", "i1"}});
  EXPECT_FALSE(is_idle(busy));
  json draining = idle;
  draining["memory"]["partitions"][1]["state"] = "unplugging";
  EXPECT_FALSE(is_idle(draining));
}

TEST(IsIdle, AnythingElseIsNotIdle) {
  for (const char* text : {"null", "[]", R"({"instances": 3})", R"({"instances": [], "memory": 1})",
                           R"({"instances": [], "memory": {"partitions": [7]}})",
                           R"({"instances": [], "memory": {"partitions": [{"state": 1}]}})"}) {
    EXPECT_FALSE(is_idle(json::parse(text))) << text;
  }
}

}  // namespace
}  // namespace hotmem::serve

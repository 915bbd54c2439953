#include "replay/replay_plan.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace hotmem::replay {
namespace {

Trace sample_trace() {
  Trace t;
  t.minutes = 2;
  t.functions.push_back({100, "image_rotate", nlohmann::json::object(), {60, 60}});
  t.functions.push_back({300, "image_rotate", nlohmann::json::object(), {60, 0}});
  t.functions.push_back({20, "pyaes", nlohmann::json::object(), {30, 30}});
  t.functions.push_back({5, "rare", nlohmann::json::object(), {1, 0}});
  return t;
}

TEST(ReplayPlan, GroupsFamiliesKeepsTheBusiestAndScalesTheRate) {
  ReplayScale scale;
  scale.minutes = 2;
  scale.minute = std::chrono::seconds(30);
  scale.rate_rps = 2;
  scale.max_functions = 2;
  auto plan = plan_replay(sample_trace(), {{"image_rotate", 46}, {"pyaes", 38}}, scale);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->functions.size(), 2u);
  EXPECT_EQ(plan->functions[0].spec.name, "image_rotate");
  EXPECT_EQ(plan->functions[0].trace_invocations, 180u);
  EXPECT_EQ(plan->functions[1].spec.name, "pyaes");
  EXPECT_EQ(plan->functions[0].spec.memory_mib, 128u);
  // 2 rps for 60 s: about 120 arrivals (Poisson), in time order.
  EXPECT_GT(plan->arrivals.size(), 80u);
  EXPECT_LT(plan->arrivals.size(), 160u);
  EXPECT_TRUE(std::is_sorted(plan->arrivals.begin(), plan->arrivals.end(),
                             [](const Arrival& a, const Arrival& b) { return a.at < b.at; }));
  EXPECT_LT(plan->arrivals.back().at, std::chrono::seconds(60));
  // The family's mean duration is weighted by its invocations: (100*120 + 300*60) / 180.
  EXPECT_EQ(plan->arrivals.front().params.contains("ms"), true);
  for (const Arrival& a : plan->arrivals) {
    if (a.function == 0) {
      EXPECT_EQ(a.params["ms"], 167);
    }
  }
}

TEST(ReplayPlan, TheSameSeedGivesTheSameArrivals) {
  ReplayScale scale;
  scale.minutes = 2;
  auto a = plan_replay(sample_trace(), {}, scale);
  auto b = plan_replay(sample_trace(), {}, scale);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->arrivals.size(), b->arrivals.size());
  for (std::size_t i = 0; i < a->arrivals.size(); ++i) EXPECT_EQ(a->arrivals[i].at, b->arrivals[i].at);
}

TEST(ReplayPlan, RefusesWhatCannotBeReplayed) {
  ReplayScale scale;
  scale.minutes = 3;
  EXPECT_FALSE(plan_replay(sample_trace(), {}, scale));
  scale.minutes = 1;
  scale.rate_rps = 0;
  EXPECT_FALSE(plan_replay(sample_trace(), {}, scale));
}

TEST(ReplayPlan, AFamilyWithAShippedPythonFunctionRunsItWithTheTracesPayload) {
  Trace t;
  t.minutes = 1;
  t.functions.push_back({265, "matmul_fb", nlohmann::json{{"N", 100}, {"M", 100}}, {10}});
  t.functions.push_back({270, "matmul_fb", nlohmann::json{{"N", 568}, {"M", 568}}, {40}});
  t.functions.push_back({1600, "video_processing", nlohmann::json{{"vid_name", "x.mp4"}}, {20}});
  ReplayScale scale;
  scale.minutes = 1;
  scale.rate_rps = 5;
  scale.python_functions = {{"matmul", "def main(args):\n    return {}\n"}};
  auto plan = plan_replay(t, {{"matmul_fb", 103}}, scale);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->functions.size(), 2u);
  const ReplayFunction& matmul = plan->functions[0];
  EXPECT_EQ(matmul.spec.runtime, "python");
  EXPECT_EQ(matmul.spec.code, scale.python_functions["matmul"]);
  EXPECT_EQ(matmul.spec.memory_mib, 256u);
  const ReplayFunction& video = plan->functions[1];
  EXPECT_EQ(video.spec.runtime, "native") << "no shipped function models it";
  EXPECT_FALSE(video.spec.command.empty());
  for (const Arrival& a : plan->arrivals) {
    if (a.function == 0) {
      EXPECT_EQ(a.params, (nlohmann::json{{"N", 568}, {"M", 568}})) << "the busiest member's payload";
    } else {
      EXPECT_EQ(a.params["ms"], 1600);
    }
  }
  EXPECT_EQ(plan->to_json()["functions"][0]["runtime"], "python");
  EXPECT_EQ(shipped_function("matmul_fb"), "matmul");
  EXPECT_EQ(shipped_function("video_processing"), "");
}

TEST(ReplayPlan, EveryShippedFunctionIsInTheRepository) {
  for (const char* family : {"chameleon", "image_rotate", "json_serdes", "matmul_fb", "pyaes"}) {
    const std::string name = shipped_function(family);
    ASSERT_FALSE(name.empty()) << family;
    EXPECT_TRUE(std::filesystem::is_regular_file(std::string(HOTMEM_FUNCTIONS_DIR) + "/" + name + ".py")) << name;
  }
}

TEST(ReplayPlan, CatalogMemoryIsTheLargestPerFamily) {
  auto m = family_memory(nlohmann::json::parse(
      R"([{"bench": "pyaes", "mem_mib": 38}, {"bench": "pyaes", "mem_mib": 40.5},
          {"bench": "matmul_fb-abc123", "mem_mib": 300}, {"bench": 7}, {"mem_mib": 1}])"));
  EXPECT_EQ(m["pyaes"], 41u);
  EXPECT_EQ(m["matmul_fb"], 300u);
  EXPECT_EQ(m.size(), 2u);
}

// A native instance keeps part of its family's memory resident for its
// whole life (so idle instances hold memory) and touches the rest afresh in
// each invocation; together they are the catalog's figure.
TEST(ReplayPlan, NativeInstancesKeepTheirResidentShareAndTouchTheRest) {
  Trace t;
  t.minutes = 1;
  t.functions.push_back({1600, "video_processing", nlohmann::json::object(), {20}});
  ReplayScale scale;
  scale.minutes = 1;
  scale.resident_share = 0.75;
  auto plan = plan_replay(t, {{"video_processing", 100}}, scale);
  ASSERT_TRUE(plan) << plan.error().message();
  const std::vector<std::string>& argv = plan->functions[0].spec.command;
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[argv.size() - 2], "--mib");
  EXPECT_EQ(argv.back(), "123") << "48 MiB of runtime and 75 of the family's 100";
  ASSERT_FALSE(plan->arrivals.empty());
  EXPECT_EQ(plan->arrivals[0].params["mib"], 25);
  EXPECT_EQ(plan->functions[0].spec.memory_mib, 256u);

  scale.resident_share = 1.5;
  EXPECT_FALSE(plan_replay(t, {{"video_processing", 100}}, scale));
}

}  // namespace
}  // namespace hotmem::replay

#include "replay/trace.h"

#include <gtest/gtest.h>

namespace hotmem::replay {
namespace {

TEST(Trace, SplitsQuotedFieldsWithDoubledQuotes) {
  auto f = split_csv_record(R"(1,"{""a"": ""x,y""}",3)");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->size(), 3u);
  EXPECT_EQ((*f)[1], R"({"a": "x,y"})");
  EXPECT_FALSE(split_csv_record(R"(1,"open)"));
  EXPECT_FALSE(split_csv_record(R"(1,ab"c",2)"));
}

TEST(Trace, ParsesFunctionsAndMinutes) {
  const std::string text =
      "avg,mapped_wreq,1-288,289-576\n"
      R"(295,"{""mean"": 294.3, ""bench"": ""image_rotate-2987f70faa3"", ""payload"": ""{\""ops\"": \""flip\""}""}",82,81)"
      "\n"
      R"(31,"{""mean"": 31.2, ""bench"": ""pyaes"", ""payload"": ""{\""message_length\"": 16}""}",2,0)"
      "\n";
  auto trace = parse_trace(text);
  ASSERT_TRUE(trace) << trace.error().message();
  EXPECT_EQ(trace->minutes, 2u);
  ASSERT_EQ(trace->functions.size(), 2u);
  EXPECT_EQ(trace->functions[0].bench, "image_rotate");
  EXPECT_DOUBLE_EQ(trace->functions[0].mean_ms, 294.3);
  EXPECT_EQ(trace->functions[0].payload["ops"], "flip");
  EXPECT_EQ(trace->functions[1].bench, "pyaes");
  EXPECT_EQ(trace->invocations(), 165u);
}

TEST(Trace, BadInputNamesTheLine) {
  auto e = parse_trace("avg,mapped_wreq,m1\n12,\"{}\",3\n");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("trace line 2"), std::string::npos) << e.error().message();
  EXPECT_FALSE(parse_trace("avg,mapped_wreq,m1\n12,\"{\"\"bench\"\":\"\"x\"\"}\",-3\n"));
  EXPECT_FALSE(parse_trace("a,b\n"));
  EXPECT_FALSE(parse_trace(""));
}

TEST(Trace, TheShippedTraceLoads) {
  auto trace = load_trace(HOTMEM_DATA_DIR "/azure_spec_15rps_5min.csv");
  if (!trace && trace.error().message().find("cannot read") != std::string::npos) GTEST_SKIP() << "no shared data";
  ASSERT_TRUE(trace) << trace.error().message();
  EXPECT_EQ(trace->minutes, 5u);
  EXPECT_EQ(trace->functions.size(), 244u);
  EXPECT_EQ(trace->invocations(), 4045u);
}

TEST(Trace, FamilyDropsTheHashOnly) {
  EXPECT_EQ(bench_family("matmul_fb-ada33fd5b30f0c"), "matmul_fb");
  EXPECT_EQ(bench_family("new_lr_serving"), "new_lr_serving");
  EXPECT_EQ(bench_family("json-serdes"), "json-serdes");
}

}  // namespace
}  // namespace hotmem::replay

#include "report/csv.h"

#include <gtest/gtest.h>

namespace hotmem::report {
namespace {

using Json = nlohmann::ordered_json;

TEST(CsvField, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(csv_field("hotmem"), "hotmem");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a b"), "a b");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_field("\""), "\"\"\"\"");
}

TEST(CsvLine, JoinsWithCommasAndEndsInCrlf) {
  EXPECT_EQ(csv_line({"mode", "reclaim_ms"}), "mode,reclaim_ms\r\n");
  EXPECT_EQ(csv_line({"a,b", "", "c"}), "\"a,b\",,c\r\n");
  EXPECT_EQ(csv_line({}), "\r\n");
}

TEST(CsvCell, WritesJsonValuesInFull) {
  EXPECT_EQ(csv_cell(Json("virtio-mem")), "virtio-mem");
  EXPECT_EQ(csv_cell(Json(2048)), "2048");
  EXPECT_EQ(csv_cell(Json(94.9)), "94.9");
  EXPECT_EQ(csv_cell(Json(0.1)), "0.1");
  EXPECT_EQ(csv_cell(Json(true)), "true");
  EXPECT_EQ(csv_cell(Json(nullptr)), "");
  EXPECT_EQ(csv_cell(Json::array({118.5, 119, 121.25})), "118.5;119;121.25");
  EXPECT_EQ(csv_cell(Json::array()), "");
  EXPECT_EQ(csv_cell(Json::array({"a", nullptr, Json::array({1, 2})})), "a;;[1,2]");
  EXPECT_EQ(csv_cell(Json::object({{"k", 1}})), "{\"k\":1}");
  // The cell is then quoted like any field.
  EXPECT_EQ(csv_field(csv_cell(Json::object({{"a", 1}, {"b", 2}}))), "\"{\"\"a\"\":1,\"\"b\"\":2}\"");
}

}  // namespace
}  // namespace hotmem::report

#include "report/xml.h"

#include <gtest/gtest.h>

#include "report/xml_check_for_test.h"

namespace hotmem::report {
namespace {

TEST(XmlEscape, EscapesMarkupAndDropsControlCharacters) {
  EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(xml_escape(std::string("x\x01y\tz", 5)), "x?y\tz");
  EXPECT_EQ(xml_escape("caf\u00e9"), "caf\u00e9");
}

TEST(XmlCheck, CatchesWhatIsNotWellFormed) {
  EXPECT_EQ(testing::xml_problem("<svg a=\"1\"><g/><text>x &amp; y</text></svg>"), "");
  EXPECT_NE(testing::xml_problem("<svg><g></svg>"), "");
  EXPECT_NE(testing::xml_problem("<svg a=1></svg>"), "");
  EXPECT_NE(testing::xml_problem("<svg a=\"1\" a=\"2\"></svg>"), "");
  EXPECT_NE(testing::xml_problem("<svg>a & b</svg>"), "");
  EXPECT_NE(testing::xml_problem("<svg>a < b</svg>"), "");
  EXPECT_NE(testing::xml_problem("<svg></svg><svg></svg>"), "");
}

}  // namespace
}  // namespace hotmem::report

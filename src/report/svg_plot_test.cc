#include "report/svg_plot.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/test_helpers.h"
#include "report/xml_check_for_test.h"

namespace hotmem::report {
namespace {

using test::count_of;
using test::kInf;
using test::kNaN;

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Whether "nan" or "inf" (any case) stands as a word of its own in `text`.
bool mentions_non_finite(const std::string& text) {
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string_view word : {"nan", "inf"}) {
    for (auto at = lower.find(word); at != std::string::npos; at = lower.find(word, at + 1)) {
      const bool starts = at == 0 || !is_letter(lower[at - 1]);
      const bool ends = at + word.size() == lower.size() || !is_letter(lower[at + word.size()]);
      if (starts && ends) return true;
    }
  }
  return false;
}

// Well-formed, no NaN or infinity anywhere, every coordinate inside the frame.
void expect_clean(const std::string& svg, const ChartFrame& frame = ChartFrame{}) {
  EXPECT_EQ(testing::xml_problem(svg), "") << svg;
  EXPECT_FALSE(mentions_non_finite(svg)) << svg;
  static const std::set<std::string> kVertical{"y", "cy", "y1", "y2", "height"};
  static const std::set<std::string> kHorizontal{"x", "cx", "x1", "x2", "width"};
  int checked = 0;
  for (auto at = svg.find("=\""); at != std::string::npos; at = svg.find("=\"", at + 1)) {
    std::size_t name_start = at;
    while (name_start > 0 && (is_letter(svg[name_start - 1]) || std::isdigit(static_cast<unsigned char>(svg[name_start - 1])) ||
                              svg[name_start - 1] == '-')) {
      --name_start;
    }
    const std::string name = svg.substr(name_start, at - name_start);
    if (!kVertical.contains(name) && !kHorizontal.contains(name)) continue;
    const std::string value = svg.substr(at + 2, svg.find('"', at + 2) - at - 2);
    const double v = std::stod(value);
    ++checked;
    EXPECT_GE(v, 0) << name << "=" << value;
    EXPECT_LE(v, kVertical.contains(name) ? frame.height : frame.width) << name << "=" << value;
  }
  EXPECT_GT(checked, 4);  // at least the frame and its background
  EXPECT_TRUE(svg.starts_with("<svg class=\"plot\"")) << svg;
}

LineChart line_chart(std::vector<LineSeries> series) {
  LineChart chart;
  chart.frame.experiment = "test";
  chart.frame.title = "Latency";
  chart.frame.x_title = "size (MiB)";
  chart.frame.y_title = "ms";
  chart.series = std::move(series);
  return chart;
}

BarChart bar_chart(std::vector<std::string> categories, std::vector<BarSeries> series) {
  BarChart chart;
  chart.frame.experiment = "test";
  chart.frame.title = "Bars";
  chart.frame.y_title = "ms";
  chart.categories = std::move(categories);
  chart.series = std::move(series);
  return chart;
}

TEST(LineChart, DrawsALineAndMarkersPerSeries) {
  const LineChart chart = line_chart({{"hotmem", {{512, 10}, {1024, 20}, {2048, 40}}},
                                      {"virtio-mem", {{2048, 400}, {512, 100}, {1024, 200}}, 1, true}});
  const std::string svg = render_svg(chart);
  expect_clean(svg);
  EXPECT_EQ(count_of(svg, "<polyline class=\"data\""), 2u);
  EXPECT_EQ(count_of(svg, "<circle class=\"data\""), 6u);
  EXPECT_EQ(count_of(svg, "stroke-dasharray"), 2u);  // the line and its legend swatch
  EXPECT_NE(svg.find("data-experiment=\"test\""), std::string::npos);
  EXPECT_NE(svg.find(">hotmem<"), std::string::npos);
  EXPECT_NE(svg.find(palette_color(1)), std::string::npos);
  EXPECT_NE(svg.find("font-family=\"sans-serif\""), std::string::npos);
}

TEST(LineChart, EmptyChartsSayNoData) {
  for (const LineChart& chart : {line_chart({}), line_chart({{"empty", {}}}), line_chart({{"nan", {{kNaN, kNaN}}}})}) {
    EXPECT_FALSE(has_data(chart));
    const std::string svg = render_svg(chart);
    expect_clean(svg);
    EXPECT_NE(svg.find("no data"), std::string::npos);
    EXPECT_EQ(svg.find("class=\"data\""), std::string::npos);
  }
}

TEST(LineChart, OnePointIsAMarkerWithoutALine) {
  const LineChart chart = line_chart({{"one", {{90, 120}}}});
  EXPECT_TRUE(has_data(chart));
  const std::string svg = render_svg(chart);
  expect_clean(svg);
  EXPECT_EQ(count_of(svg, "<polyline"), 0u);
  EXPECT_EQ(count_of(svg, "<circle class=\"data\""), 1u);
}

TEST(LineChart, AllZeroValuesAndLogScales) {
  LineChart chart = line_chart({{"zeros", {{0, 0}, {1, 0}, {2, 0}}}});
  expect_clean(render_svg(chart));
  chart.x_scale = ScaleKind::kLog2;
  chart.y_scale = ScaleKind::kLog10;
  const std::string svg = render_svg(chart);  // y has nothing positive: linear; x = 0 has no place
  expect_clean(svg);
  EXPECT_EQ(count_of(svg, "<circle class=\"data\""), 2u);
  chart.series[0].points = {{0, 0}, {0, 0}};
  expect_clean(render_svg(chart));  // both axes fall back to linear
  EXPECT_EQ(count_of(render_svg(chart), "<circle class=\"data\""), 2u);
}

TEST(LineChart, NonFiniteAndUnplaceablePointsAreSkipped) {
  LineChart chart = line_chart({{"mixed", {{512, 10}, {kNaN, 5}, {1024, kInf}, {0, 7}, {2048, -kInf}, {4096, 30}}}});
  std::string svg = render_svg(chart);
  expect_clean(svg);
  EXPECT_EQ(count_of(svg, "<circle class=\"data\""), 3u);  // 512, 0 and 4096 on a linear x axis
  chart.x_scale = ScaleKind::kLog2;
  svg = render_svg(chart);
  expect_clean(svg);
  EXPECT_EQ(count_of(svg, "<circle class=\"data\""), 2u);  // 0 has no place on a log axis
}

TEST(LineChart, ExtremeValuesStayInsideTheFrame) {
  expect_clean(render_svg(line_chart({{"huge", {{-1.7e308, 1.7e308}, {1.7e308, -1.7e308}, {0, 0}}}})));
  expect_clean(render_svg(line_chart({{"tiny", {{1e-300, 1e-300}, {2e-300, 3e-300}}}})));
}

TEST(LineChart, TextIsEscaped) {
  LineChart chart = line_chart({{"a<b & \"c\"", {{1, 1}, {2, 2}}}});
  chart.frame.title = "<script>alert('x')</script> & more";
  chart.frame.experiment = "x\"y";
  const std::string svg = render_svg(chart);
  expect_clean(svg);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg.find("data-experiment=\"x&quot;y\""), std::string::npos);
}

TEST(LineChart, LongLegendNamesAreCut) {
  const std::string name(80, 'n');
  const std::string svg = render_svg(line_chart({{name, {{1, 1}, {2, 2}}}}));
  expect_clean(svg);
  EXPECT_NE(svg.find(std::string(34, 'n') + "\u2026"), std::string::npos);
  EXPECT_NE(svg.find("<title>" + name + "</title>"), std::string::npos);  // the full name on hover
}

TEST(BarChart, OneBarPerValueAndNoneForNaN) {
  const BarChart chart = bar_chart({"hotmem", "virtio-mem", "balloon"},
                                   {{"guest", {40, 400, 380}, 0}, {"host", {16, kNaN, 150}, 1}});
  const std::string svg = render_svg(chart);
  expect_clean(svg);
  EXPECT_EQ(count_of(svg, "<rect class=\"data\""), 5u);
  EXPECT_NE(svg.find(">400<"), std::string::npos);  // value label
  EXPECT_NE(svg.find(">virtio-mem<"), std::string::npos);
}

TEST(BarChart, EdgeCases) {
  // No categories, no series, only NaN: no data.
  for (const BarChart& chart : {bar_chart({}, {}), bar_chart({"a"}, {}), bar_chart({"a", "b"}, {{"s", {kNaN, kInf}}}),
                                bar_chart({}, {{"s", {1, 2}}})}) {
    EXPECT_FALSE(has_data(chart));
    const std::string svg = render_svg(chart);
    expect_clean(svg);
    EXPECT_NE(svg.find("no data"), std::string::npos);
  }
  // All zero: bars of no height, still well-formed.
  std::string svg = render_svg(bar_chart({"a", "b"}, {{"s", {0, 0}}}));
  expect_clean(svg);
  EXPECT_EQ(count_of(svg, "<rect class=\"data\""), 2u);
  // Negative values, fewer values than categories, two-line labels.
  svg = render_svg(bar_chart({"hotmem\nzeroing on", "b", "c"}, {{"s", {-5, 10}}, {"t", {3}}}));
  expect_clean(svg);
  EXPECT_EQ(count_of(svg, "<rect class=\"data\""), 3u);
  EXPECT_NE(svg.find(">zeroing on<"), std::string::npos);
  // One category, one value.
  expect_clean(render_svg(bar_chart({"only"}, {{"s", {7}}})));
}

TEST(Palette, WrapsAround) {
  EXPECT_EQ(palette_color(0), "#0072B2");
  EXPECT_EQ(palette_color(8), palette_color(0));
  EXPECT_EQ(palette_color(-1), palette_color(7));
}

}  // namespace
}  // namespace hotmem::report

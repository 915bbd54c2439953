// A small plotting library: line and grouped bar charts as inline SVG, for
// the HTML report. Text is escaped, NaN and infinite values are left out (so
// no coordinate is ever NaN), and a chart with nothing to draw says so.
//
// The root is <svg class="plot" data-experiment="..."> without an xmlns: it
// is meant to sit inside an HTML page, whose parser puts it in the SVG
// namespace. Every mark that stands for a value (line, marker, bar) carries
// class "data", which the report's render check counts.
#pragma once

#include <string>
#include <vector>

#include "report/axis.h"

namespace hotmem::report {

// Text and size shared by every chart.
struct ChartFrame {
  std::string experiment;  // the data-experiment attribute
  std::string title;
  std::string x_title;
  std::string y_title;
  int width = 760;
  int height = 400;
};

struct Point {
  double x = 0;
  double y = 0;
};

struct LineSeries {
  std::string name;
  std::vector<Point> points;  // drawn in x order
  int color = -1;             // index into the palette; -1: by position
  bool dashed = false;
};

struct LineChart {
  ChartFrame frame;
  ScaleKind x_scale = ScaleKind::kLinear;  // or kLog2
  ScaleKind y_scale = ScaleKind::kLinear;  // or kLog10
  std::vector<LineSeries> series;
};

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per category; NaN: no bar
  int color = -1;
};

struct BarChart {
  ChartFrame frame;
  // A '\n' in a category splits its label over two lines.
  std::vector<std::string> categories;
  std::vector<BarSeries> series;
  bool value_labels = true;
};

// Whether the chart has at least one value it can draw.
bool has_data(const LineChart& chart);
bool has_data(const BarChart& chart);

std::string render_svg(const LineChart& chart);
std::string render_svg(const BarChart& chart);

// The Okabe-Ito palette (colour-blind safe), darkest first; yellow last, as
// it reads worst on white. Indices wrap around.
const std::string& palette_color(int index);

}  // namespace hotmem::report

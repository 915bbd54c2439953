#include "report/svg_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "report/number_format.h"
#include "report/xml.h"

namespace hotmem::report {
namespace {

// Rough widths of 12px and 10px sans-serif characters, enough to keep labels
// apart; the SVG never measures text.
constexpr double kCharWidth = 7.0;
constexpr double kSmallCharWidth = 6.0;
constexpr std::size_t kMaxLegendChars = 34;

// Coordinates with one decimal. Callers only pass finite values; the guard
// keeps a NaN from ever reaching the document if that invariant breaks.
std::string num(double v) { return fmt::format("{:.1f}", std::isfinite(v) ? v : 0.0); }

// Cuts `text` to `max_chars` characters (UTF-8 aware), marking the cut.
std::string truncated(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (++chars > max_chars) return std::string(text.substr(0, i)) + "\u2026";
  }
  return std::string(text);
}

std::size_t char_count(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

const std::string& series_color(int color, std::size_t position) {
  return palette_color(color >= 0 ? color : static_cast<int>(position));
}

// The plot area inside the frame: room for the title above, tick labels and
// the axis title below and left, and the legend to the right.
struct Layout {
  double width = 0;
  double height = 0;
  double left = 0;
  double right = 0;
  double top = 0;
  double bottom = 0;
  double legend_x = 0;

  double plot_width() const { return right - left; }
  double plot_height() const { return bottom - top; }
  double x_at(double fraction) const { return left + fraction * plot_width(); }
  double y_at(double fraction) const { return bottom - fraction * plot_height(); }
};

Layout layout_for(const ChartFrame& frame, const std::vector<std::string>& legend, double bottom_margin) {
  Layout l;
  l.width = std::max(frame.width, 240);
  l.height = std::max(frame.height, 160);
  std::size_t longest = 0;
  for (const std::string& name : legend) longest = std::max(longest, std::min(char_count(name), kMaxLegendChars + 1));
  const double legend_width =
      legend.empty() ? 0.0 : std::min(std::max(static_cast<double>(longest) * kCharWidth + 36, 90.0), l.width / 3);
  l.left = 80;
  l.top = 44;
  l.right = l.width - 16 - legend_width;
  l.bottom = l.height - bottom_margin;
  l.legend_x = l.right + 16;
  return l;
}

class SvgWriter {
 public:
  SvgWriter(const ChartFrame& frame, const Layout& layout) : layout_(layout) {
    const std::string title = xml_escape(frame.title);
    out_ = fmt::format(
        "<svg class=\"plot\" data-experiment=\"{}\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {} {}\" "
        "width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n<title>{}</title>\n"
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
        xml_escape(frame.experiment), title, num(layout.width), num(layout.height), num(layout.width),
        num(layout.height), title, num(layout.width), num(layout.height));
    text(layout.width / 2, 24, frame.title, "middle", " font-size=\"15\" font-weight=\"bold\"");
    if (!frame.x_title.empty()) text(layout.left + layout.plot_width() / 2, layout.height - 12, frame.x_title, "middle");
    if (!frame.y_title.empty()) {
      out_ += fmt::format(
          "<text transform=\"translate(18,{}) rotate(-90)\" text-anchor=\"middle\" fill=\"#222222\">{}</text>\n",
          num(layout.top + layout.plot_height() / 2), xml_escape(frame.y_title));
    }
  }

  void raw(std::string_view markup) { out_ += markup; }

  void text(double x, double y, std::string_view content, std::string_view anchor, std::string_view extra = "") {
    out_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" fill=\"#222222\"{}>{}</text>\n", num(x), num(y),
                        anchor, extra, xml_escape(content));
  }

  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1) {
    out_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"/>\n", num(x1),
                        num(y1), num(x2), num(y2), stroke, num(width));
  }

  // Horizontal grid lines and labels for the y axis.
  void y_axis(const Axis& axis) {
    for (const double tick : axis.ticks()) {
      const double y = layout_.y_at(axis.fraction(tick));
      line(layout_.left, y, layout_.right, y, tick == 0 && axis.lo() < 0 ? "#888888" : "#e3e3e3");
      text(layout_.left - 6, y, format_tick(tick), "end", " dy=\"0.32em\"");
    }
  }

  // Vertical grid lines and labels for the x axis; labels that would overlap
  // are thinned to every k-th.
  void x_axis(const Axis& axis) {
    const auto& ticks = axis.ticks();
    std::size_t widest = 1;
    for (const double tick : ticks) widest = std::max(widest, format_tick(tick).size());
    const double spacing = ticks.size() > 1 ? layout_.plot_width() / static_cast<double>(ticks.size() - 1) : 1e9;
    const auto every = static_cast<std::size_t>(std::max(1.0, std::ceil((widest * kCharWidth + 8) / spacing)));
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      const double x = layout_.x_at(axis.fraction(ticks[i]));
      line(x, layout_.top, x, layout_.bottom, "#efefef");
      line(x, layout_.bottom, x, layout_.bottom + 4, "#333333");
      if (i % every == 0) text(x, layout_.bottom + 18, format_tick(ticks[i]), "middle");
    }
  }

  void frame_axes() {
    line(layout_.left, layout_.top, layout_.left, layout_.bottom, "#333333");
    line(layout_.left, layout_.bottom, layout_.right, layout_.bottom, "#333333");
  }

  void no_data() {
    out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#cccccc\"/>\n",
                        num(layout_.left), num(layout_.top), num(layout_.plot_width()), num(layout_.plot_height()));
    text(layout_.left + layout_.plot_width() / 2, layout_.top + layout_.plot_height() / 2, "no data", "middle",
         " fill-opacity=\"0.6\"");
  }

  // One legend entry; `swatch` is drawn at the entry's top left corner.
  void legend_entry(std::size_t index, std::string_view name, const std::string& swatch_markup) {
    const double y = layout_.top + 6 + static_cast<double>(index) * 20;
    if (y + 34 > layout_.height) {  // no room for this entry and a last one
      if (!legend_cut_) text(layout_.legend_x, y + 6, "\u2026 (more series)", "start", " dy=\"0.32em\"");
      legend_cut_ = true;
      return;
    }
    out_ += fmt::format("<g transform=\"translate({},{})\">{}", num(layout_.legend_x), num(y), swatch_markup);
    out_ += fmt::format("<text x=\"30\" y=\"6\" dy=\"0.32em\" fill=\"#222222\">{}<title>{}</title></text></g>\n",
                        xml_escape(truncated(name, kMaxLegendChars)), xml_escape(name));
  }

  std::string finish() && { return std::move(out_) + "</svg>\n"; }

 private:
  const Layout& layout_;
  std::string out_;
  bool legend_cut_ = false;
};

std::string dash_attribute(bool dashed) { return dashed ? " stroke-dasharray=\"7 4\"" : ""; }

// The points of a series the axes can place, in x order.
std::vector<Point> drawable(const LineSeries& series, const Axis& x, const Axis& y) {
  std::vector<Point> points;
  for (const Point& p : series.points) {
    if (x.shows(p.x) && y.shows(p.y)) points.push_back(p);
  }
  std::stable_sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  return points;
}

}  // namespace

const std::string& palette_color(int index) {
  static const std::array<std::string, 8> kPalette{"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                   "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  const int n = static_cast<int>(kPalette.size());
  return kPalette[static_cast<std::size_t>(((index % n) + n) % n)];
}

bool has_data(const LineChart& chart) {
  for (const LineSeries& s : chart.series) {
    for (const Point& p : s.points) {
      if (std::isfinite(p.x) && std::isfinite(p.y)) return true;
    }
  }
  return false;
}

bool has_data(const BarChart& chart) {
  for (const BarSeries& s : chart.series) {
    for (std::size_t i = 0; i < s.values.size() && i < chart.categories.size(); ++i) {
      if (std::isfinite(s.values[i])) return true;
    }
  }
  return false;
}

std::string render_svg(const LineChart& chart) {
  std::vector<std::string> names;
  for (const LineSeries& s : chart.series) names.push_back(s.name);
  if (!has_data(chart)) names.clear();
  const Layout layout = layout_for(chart.frame, names, 52);
  SvgWriter svg(chart.frame, layout);
  if (!has_data(chart)) {
    svg.no_data();
    return std::move(svg).finish();
  }

  std::vector<double> xs;
  std::vector<double> ys;
  for (const LineSeries& s : chart.series) {
    for (const Point& p : s.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      xs.push_back(p.x);
      ys.push_back(p.y);
    }
  }
  const Axis x_axis = Axis::covering(xs, chart.x_scale);
  const Axis y_axis = Axis::covering(ys, chart.y_scale, /*include_zero=*/chart.y_scale == ScaleKind::kLinear);
  svg.y_axis(y_axis);
  svg.x_axis(x_axis);
  svg.frame_axes();

  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const LineSeries& series = chart.series[i];
    const std::string& color = series_color(series.color, i);
    const std::vector<Point> points = drawable(series, x_axis, y_axis);
    const std::string name = xml_escape(series.name);
    svg.raw(fmt::format("<g data-series=\"{}\">\n", name));
    if (points.size() >= 2) {
      std::string coords;
      for (const Point& p : points) {
        if (!coords.empty()) coords += ' ';
        coords += num(layout.x_at(x_axis.fraction(p.x))) + "," + num(layout.y_at(y_axis.fraction(p.y)));
      }
      svg.raw(fmt::format(
          "<polyline class=\"data\" points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
          "stroke-linejoin=\"round\"{}/>\n",
          coords, color, dash_attribute(series.dashed)));
    }
    for (const Point& p : points) {
      svg.raw(fmt::format(
          "<circle class=\"data\" cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"1\">"
          "<title>{}: {} \u2192 {}</title></circle>\n",
          num(layout.x_at(x_axis.fraction(p.x))), num(layout.y_at(y_axis.fraction(p.y))), color, name,
          format_number(p.x), format_number(p.y)));
    }
    svg.raw("</g>\n");
    svg.legend_entry(i, series.name,
                     fmt::format("<line x1=\"0\" y1=\"6\" x2=\"22\" y2=\"6\" stroke=\"{}\" stroke-width=\"2\"{}/>"
                                 "<circle cx=\"11\" cy=\"6\" r=\"3.5\" fill=\"{}\"/>",
                                 color, dash_attribute(series.dashed), color));
  }
  return std::move(svg).finish();
}

std::string render_svg(const BarChart& chart) {
  std::vector<std::string> names;
  for (const BarSeries& s : chart.series) names.push_back(s.name);
  const bool any = has_data(chart);
  if (!any) names.clear();
  const bool two_line_labels = std::any_of(chart.categories.begin(), chart.categories.end(),
                                           [](const std::string& c) { return c.find('\n') != std::string::npos; });
  const Layout layout = layout_for(chart.frame, names, two_line_labels ? 66 : 52);
  SvgWriter svg(chart.frame, layout);
  if (!any) {
    svg.no_data();
    return std::move(svg).finish();
  }

  const std::size_t categories = chart.categories.size();
  std::vector<double> values;
  for (const BarSeries& s : chart.series) {
    for (std::size_t i = 0; i < s.values.size() && i < categories; ++i) values.push_back(s.values[i]);
  }
  const Axis y_axis = Axis::covering(values, ScaleKind::kLinear, /*include_zero=*/true);
  svg.y_axis(y_axis);
  svg.frame_axes();

  const double band = layout.plot_width() / static_cast<double>(categories);
  const double group = band * 0.8;
  const double bar = group / static_cast<double>(std::max<std::size_t>(1, chart.series.size()));
  const double zero_y = layout.y_at(y_axis.fraction(0));
  const auto label_chars = static_cast<std::size_t>(std::max(3.0, band / kCharWidth));
  for (std::size_t c = 0; c < categories; ++c) {
    const double band_x = layout.left + band * static_cast<double>(c);
    const std::string& label = chart.categories[c];
    const std::size_t newline = label.find('\n');
    svg.text(band_x + band / 2, layout.bottom + 18, truncated(label.substr(0, newline), label_chars), "middle");
    if (newline != std::string::npos) {
      svg.text(band_x + band / 2, layout.bottom + 32, truncated(label.substr(newline + 1), label_chars), "middle");
    }
    for (std::size_t s = 0; s < chart.series.size(); ++s) {
      const BarSeries& series = chart.series[s];
      if (c >= series.values.size() || !std::isfinite(series.values[c])) continue;
      const double value = series.values[c];
      const double x = band_x + (band - group) / 2 + bar * static_cast<double>(s);
      const double y = layout.y_at(y_axis.fraction(value));
      const std::string value_text = format_number(value);
      std::string category_text = label;
      std::replace(category_text.begin(), category_text.end(), '\n', ' ');
      svg.raw(fmt::format(
          "<rect class=\"data\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">"
          "<title>{}, {}: {}</title></rect>\n",
          num(x), num(std::min(y, zero_y)), num(std::max(bar - 1, 0.5)), num(std::fabs(zero_y - y)),
          series_color(series.color, s), xml_escape(category_text), xml_escape(series.name), value_text));
      if (chart.value_labels && static_cast<double>(value_text.size()) * kSmallCharWidth <= bar + 4) {
        svg.text(x + bar / 2, value < 0 ? y + 12 : y - 4, value_text, "middle", " font-size=\"10\"");
      }
    }
  }
  for (std::size_t s = 0; s < chart.series.size(); ++s) {
    svg.legend_entry(s, chart.series[s].name,
                     fmt::format("<rect x=\"4\" y=\"0\" width=\"14\" height=\"12\" fill=\"{}\"/>",
                                 series_color(chart.series[s].color, s)));
  }
  return std::move(svg).finish();
}

}  // namespace hotmem::report

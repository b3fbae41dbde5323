#pragma once
// Plots as self-contained SVG files that open in any browser: scatter points, lines (loss
// curves), a heat map (a density p(y|x) over a grid), circles sized by a weight (component means
// sized by their mixing weight), axes with ticks and labels, and a legend beside the plot.
//
//   Plot plot("p(t | x)", "x", "t", {0, 1}, {0, 1});
//   plot.heatmap(density, nx, ny, "p(t | x)");      // with its colour bar
//   plot.scatter(xs, ts, kBlue, "training data", 1.8, 0.45, Marker::Square);
//   plot.save("density.svg");
//
// Coordinates are written with a fixed number of decimals, so the same data give the same bytes.
#include <cstdint>
#include <string>
#include <vector>

namespace tapegrad::examples {

struct Range {
  double lo = 0, hi = 1;
};
// The smallest range holding every value, widened by `pad` of its width on each side.
Range range_of(const std::vector<double>& values, double pad = 0.05);
// n cell centres evenly spread over a range: lo + (i + 1/2) (hi - lo) / n.
std::vector<double> cell_centres(Range range, std::int64_t n);

inline constexpr const char* kBlue = "#1f77b4";
inline constexpr const char* kOrange = "#ff7f0e";
inline constexpr const char* kGreen = "#2ca02c";
inline constexpr const char* kRed = "#d62728";
inline constexpr const char* kPurple = "#9467bd";
inline constexpr const char* kGrey = "#555555";
inline constexpr const char* kBlack = "#000000";
// Text with &, <, > and " escaped, for SVG and HTML text and attributes.
std::string xml_escape(const std::string& text);

// The opacity of a scatter of n points: `full` up to a thousand, less beyond, so that thousands
// of points do not hide what is drawn under them.
double scatter_opacity(std::size_t n, double full);

// A colour from a fixed cycle, for the i-th of several series.
const char* series_colour(std::size_t i);

// The shape of a scatter's points, so that two series differ by more than their colour.
enum class Marker { Circle, Square, Triangle, Diamond, Cross };

// Widens the shorter of two ranges in the same units so that a unit is as long on both axes of
// the plot area (a circle looks round, a spiral keeps its shape).
void equal_aspect(Range& x, Range& y);

class Plot {
public:
  Plot(std::string title, std::string x_label, std::string y_label, Range x, Range y);

  // values[iy * nx + ix] >= 0 at the cell centres of the x and y ranges (cell_centres). Darker is
  // higher, on a square-root scale so that thin branches stay visible beside a tall peak; a
  // colour bar titled `label` gives the scale.
  void heatmap(const std::vector<double>& values, std::int64_t nx, std::int64_t ny,
               const std::string& label);
  void scatter(const std::vector<double>& x, const std::vector<double>& y,
               const std::string& colour, const std::string& label, double radius = 1.8,
               double opacity = 0.45, Marker marker = Marker::Circle);
  void line(const std::vector<double>& x, const std::vector<double>& y, const std::string& colour,
            const std::string& label, double width = 2, bool dashed = false);
  // A vertical line across the plot at x (the best epoch, say), dotted.
  void vertical(double x, const std::string& colour, const std::string& label);
  // Open circles at (x, y) whose area grows with weight in [0, 1].
  void weighted_circles(const std::vector<double>& x, const std::vector<double>& y,
                        const std::vector<double>& weight, const std::string& colour,
                        const std::string& label);
  // Filled bars from `base` up to heights[i] over [edges[i], edges[i + 1]] (a histogram).
  void bars(const std::vector<double>& edges, const std::vector<double>& heights,
            const std::string& colour, const std::string& label, double opacity = 0.5,
            double base = 0);
  // A shaded horizontal band from lo to hi over the whole width (a tolerance band).
  void band(double lo, double hi, const std::string& colour, const std::string& label);
  // A note under the title (the metrics, say).
  void subtitle(const std::string& text) { subtitle_ = text; }

  // The picture as an <svg> element; `id` prefixes its internal ids, so that several pictures
  // can share one page or one file.
  std::string render(const std::string& id = "plot") const;
  void save(const std::string& path) const; // atomically, see io.hpp

private:
  double px(double x) const;
  double py(double y) const;
  void legend_entry(const std::string& kind, const std::string& colour, const std::string& label,
                    bool dashed = false, Marker marker = Marker::Circle);
  std::string colour_bar(const std::string& id) const;

  std::string title_, x_label_, y_label_, subtitle_;
  Range x_, y_;
  std::string body_;   // the marks, clipped to the plot area
  std::string legend_; // the legend's entries
  int legend_count_ = 0;
  // The heat map's scale, for its colour bar: the largest value and the bar's title.
  double heat_top_ = 0;
  std::string heat_label_;
};

} // namespace tapegrad::examples

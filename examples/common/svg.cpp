#include "common/svg.hpp"

#include "common/io.hpp"

#include <autograd/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace tapegrad::examples {

namespace {

// The plot area inside a 900 x 460 picture; the legend sits to its right.
constexpr double kWidth = 900, kHeight = 460;
constexpr double kLeft = 70, kRight = 620, kTop = 50, kBottom = 400;

std::string escape_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string f2(double v) {
  return fmt::format("{:.2f}", v);
}

// Ticks at 1, 2 or 5 times a power of ten, about six over the range.
std::vector<double> ticks(Range r) {
  const double span = r.hi - r.lo;
  const double raw = span / 6;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> out;
  for (double t = std::ceil(r.lo / step) * step; t <= r.hi + 1e-9 * span; t += step)
    out.push_back(std::abs(t) < 1e-9 * span ? 0.0 : t);
  return out;
}

// One point of a scatter, centred on (cx, cy), about 2r across whatever its shape.
std::string marker_shape(Marker marker, double cx, double cy, double r) {
  switch (marker) {
  case Marker::Square:
    return fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}"/>)", f2(cx - 0.85 * r),
                       f2(cy - 0.85 * r), f2(1.7 * r), f2(1.7 * r));
  case Marker::Triangle:
    return fmt::format(R"(<path d="M{},{}L{},{}L{},{}Z"/>)", f2(cx), f2(cy - 1.2 * r),
                       f2(cx + 1.05 * r), f2(cy + 0.6 * r), f2(cx - 1.05 * r), f2(cy + 0.6 * r));
  case Marker::Diamond:
    return fmt::format(R"(<path d="M{},{}L{},{}L{},{}L{},{}Z"/>)", f2(cx), f2(cy - 1.2 * r),
                       f2(cx + 1.2 * r), f2(cy), f2(cx), f2(cy + 1.2 * r), f2(cx - 1.2 * r),
                       f2(cy));
  case Marker::Cross: // drawn with the stroke of its group
    return fmt::format(R"(<path d="M{0},{1}L{2},{3}M{0},{3}L{2},{1}"/>)", f2(cx - r), f2(cy - r),
                       f2(cx + r), f2(cy + r));
  case Marker::Circle:
    break;
  }
  return fmt::format(R"(<circle cx="{}" cy="{}" r="{}"/>)", f2(cx), f2(cy), f2(r));
}

std::string tick_label(double v) {
  return fmt::format("{:g}", std::round(v * 1e6) / 1e6);
}

// White through yellow and orange to dark red.
std::string heat_colour(double level) {
  static constexpr std::array<std::array<double, 3>, 5> stops{
      {{255, 255, 255}, {255, 237, 160}, {254, 178, 76}, {240, 59, 32}, {128, 0, 38}}};
  const double t = std::clamp(level, 0.0, 1.0) * (stops.size() - 1);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  std::array<int, 3> rgb{};
  for (int c = 0; c < 3; ++c)
    rgb[c] = static_cast<int>(std::lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])));
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

} // namespace

std::string xml_escape(const std::string& text) {
  return escape_text(text);
}

Range range_of(const std::vector<double>& values, double pad) {
  if (values.empty())
    return {0, 1};
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  double width = *hi - *lo;
  if (width <= 0)
    width = std::max(1.0, std::abs(*lo));
  return {*lo - pad * width, *hi + pad * width};
}

std::vector<double> cell_centres(Range range, std::int64_t n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    out[static_cast<std::size_t>(i)] =
        range.lo + (static_cast<double>(i) + 0.5) * (range.hi - range.lo) / static_cast<double>(n);
  return out;
}

double scatter_opacity(std::size_t n, double full) {
  return n <= 1000 ? full : std::max(0.08, full * std::sqrt(1000.0 / static_cast<double>(n)));
}

const char* series_colour(std::size_t i) {
  static constexpr std::array<const char*, 6> cycle{kBlue, kOrange, kGreen, kRed, kPurple, kGrey};
  return cycle[i % cycle.size()];
}

void equal_aspect(Range& x, Range& y) {
  const double per_px_x = (x.hi - x.lo) / (kRight - kLeft);
  const double per_px_y = (y.hi - y.lo) / (kBottom - kTop);
  if (per_px_x > per_px_y) {
    const double half = per_px_x * (kBottom - kTop) / 2, mid = (y.lo + y.hi) / 2;
    y = {mid - half, mid + half};
  } else {
    const double half = per_px_y * (kRight - kLeft) / 2, mid = (x.lo + x.hi) / 2;
    x = {mid - half, mid + half};
  }
}

Plot::Plot(std::string title, std::string x_label, std::string y_label, Range x, Range y)
    : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)), x_(x),
      y_(y) {
  if (!(x.hi > x.lo) || !(y.hi > y.lo) || !std::isfinite(x.lo + x.hi + y.lo + y.hi))
    fail("plot '{}': empty or non-finite range x [{}, {}], y [{}, {}]", title_, x.lo, x.hi, y.lo,
         y.hi);
}

double Plot::px(double x) const {
  return kLeft + (x - x_.lo) / (x_.hi - x_.lo) * (kRight - kLeft);
}
double Plot::py(double y) const {
  return kBottom - (y - y_.lo) / (y_.hi - y_.lo) * (kBottom - kTop);
}

void Plot::legend_entry(const std::string& kind, const std::string& colour,
                        const std::string& label, bool dashed, Marker marker) {
  if (label.empty())
    return;
  const double y = kTop + 14 + 22 * legend_count_++;
  const double x = kRight + 18;
  if (kind == "line")
    legend_ += fmt::format(
        R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5"{}/>)", f2(x), f2(y),
        f2(x + 22), f2(y), colour, dashed ? R"( stroke-dasharray="6 4")" : "");
  else if (kind == "vertical")
    legend_ += fmt::format(
        R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="1.5" stroke-dasharray="2 3"/>)",
        f2(x + 11), f2(y - 8), f2(y + 8), colour);
  else if (kind == "circle")
    legend_ +=
        fmt::format(R"(<circle cx="{}" cy="{}" r="6" fill="none" stroke="{}" stroke-width="1.5"/>)",
                    f2(x + 11), f2(y), colour);
  else if (kind == "box")
    legend_ += fmt::format(
        R"(<rect x="{}" y="{}" width="22" height="10" fill="{}" fill-opacity="0.5" stroke="{}"/>)",
        f2(x), f2(y - 5), colour, colour);
  else
    legend_ +=
        fmt::format(R"(<g fill="{0}" stroke="{0}" stroke-width="{1}">{2}</g>)", colour,
                    marker == Marker::Cross ? "1.5" : "0", marker_shape(marker, x + 11, y, 3.5));
  legend_ +=
      fmt::format(R"(<text x="{}" y="{}" font-size="12" dominant-baseline="middle">{}</text>)",
                  f2(x + 30), f2(y), escape_text(label));
  legend_ += '\n';
}

void Plot::heatmap(const std::vector<double>& values, std::int64_t nx, std::int64_t ny,
                   const std::string& label) {
  if (static_cast<std::int64_t>(values.size()) != nx * ny)
    fail("plot heatmap: {} values for a {} x {} grid", values.size(), nx, ny);
  double top = 0;
  for (double v : values)
    if (std::isfinite(v))
      top = std::max(top, v);
  if (top <= 0)
    top = 1;
  // 40 colour levels; runs of equal level along a row become one rectangle, and level 0 is the
  // white background, so the file stays small.
  constexpr int levels = 40;
  const double cw = (kRight - kLeft) / static_cast<double>(nx);
  const double ch = (kBottom - kTop) / static_cast<double>(ny);
  for (std::int64_t iy = 0; iy < ny; ++iy) {
    std::int64_t ix = 0;
    while (ix < nx) {
      const double v = values[static_cast<std::size_t>(iy * nx + ix)];
      const int level = static_cast<int>(std::lround(std::sqrt(std::max(0.0, v) / top) * levels));
      std::int64_t end = ix + 1;
      while (end < nx) {
        const double w = values[static_cast<std::size_t>(iy * nx + end)];
        if (static_cast<int>(std::lround(std::sqrt(std::max(0.0, w) / top) * levels)) != level)
          break;
        ++end;
      }
      if (level > 0)
        body_ +=
            fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>)",
                        f2(kLeft + ix * cw), f2(kBottom - (iy + 1) * ch), f2((end - ix) * cw + 0.3),
                        f2(ch + 0.3), heat_colour(static_cast<double>(level) / levels)) +
            "\n";
      ix = end;
    }
  }
  heat_top_ = top;
  heat_label_ = label;
}

std::string Plot::colour_bar(const std::string& id) const {
  if (heat_label_.empty())
    return "";
  // Below the legend on the right: the gradient runs bottom (0) to top (the largest value), and
  // the ticks sit where the square-root scale puts their values.
  constexpr double x = kRight + 18, w = 14, bottom = kBottom, height = 150;
  std::string out = fmt::format(R"(<text x="{}" y="{}" font-size="12">{}</text>)", f2(x),
                                f2(bottom - height - 10), escape_text(heat_label_));
  out += fmt::format(
      R"x(<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{}-heatbar)" stroke="#333" stroke-width="0.5"/>)x",
      f2(x), f2(bottom - height), f2(w), f2(height), id);
  out += "\n<g font-size=\"10\" fill=\"#333\">";
  double last = 1e9;
  for (const double v : ticks({0, heat_top_})) {
    const double ty = bottom - std::sqrt(std::max(0.0, v) / heat_top_) * height;
    if (last - ty < 13)
      continue; // the square-root scale crowds the small values' ticks
    last = ty;
    out += fmt::format(
        R"(<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#333"/><text x="{3}" y="{1}" dominant-baseline="middle">{4}</text>)",
        f2(x + w), f2(ty), f2(x + w + 4), f2(x + w + 7), tick_label(v));
  }
  out += fmt::format(R"(<text x="{}" y="{}">(square-root scale)</text>)", f2(x), f2(bottom + 14));
  out += "</g>\n";
  return out;
}

void Plot::scatter(const std::vector<double>& x, const std::vector<double>& y,
                   const std::string& colour, const std::string& label, double radius,
                   double opacity, Marker marker) {
  // A cross has no inside: it is drawn with the stroke.
  if (marker == Marker::Cross)
    body_ += fmt::format(R"(<g fill="none" stroke="{}" stroke-width="1.2" stroke-opacity="{}">)",
                         colour, opacity);
  else
    body_ += fmt::format(R"(<g fill="{}" fill-opacity="{}">)", colour, opacity);
  body_ += "\n";
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i]))
      body_ += marker_shape(marker, px(x[i]), py(y[i]), radius) + "\n";
  body_ += "</g>\n";
  legend_entry("point", colour, label, false, marker);
}

void Plot::line(const std::vector<double>& x, const std::vector<double>& y,
                const std::string& colour, const std::string& label, double width, bool dashed) {
  std::string points;
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
      continue;
    if (!points.empty())
      points += ' ';
    points += fmt::format("{},{}", f2(px(x[i])), f2(py(y[i])));
  }
  body_ += fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"{}/>)",
                       points, colour, f2(width), dashed ? R"( stroke-dasharray="6 4")" : "") +
           "\n";
  legend_entry("line", colour, label, dashed);
}

void Plot::vertical(double x, const std::string& colour, const std::string& label) {
  body_ += fmt::format(
      R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}" stroke-width="1.5" stroke-dasharray="2 3"/>)",
      f2(px(x)), kTop, kBottom, colour);
  body_ += "\n";
  legend_entry("vertical", colour, label);
}

void Plot::bars(const std::vector<double>& edges, const std::vector<double>& heights,
                const std::string& colour, const std::string& label, double opacity, double base) {
  body_ += fmt::format(R"(<g fill="{0}" fill-opacity="{1}" stroke="{0}" stroke-width="0.8">)",
                       colour, opacity);
  body_ += "\n";
  for (std::size_t i = 0; i < heights.size() && i + 1 < edges.size(); ++i) {
    const double top = py(std::max(heights[i], base)), bottom = py(std::min(heights[i], base));
    body_ += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}"/>)", f2(px(edges[i])),
                         f2(top), f2(px(edges[i + 1]) - px(edges[i])), f2(bottom - top)) +
             "\n";
  }
  body_ += "</g>\n";
  legend_entry("box", colour, label);
}

void Plot::band(double lo, double hi, const std::string& colour, const std::string& label) {
  body_ +=
      fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="0.25"/>)",
                  kLeft, f2(py(hi)), kRight - kLeft, f2(py(lo) - py(hi)), colour) +
      "\n";
  legend_entry("box", colour, label);
}

void Plot::weighted_circles(const std::vector<double>& x, const std::vector<double>& y,
                            const std::vector<double>& weight, const std::string& colour,
                            const std::string& label) {
  body_ += fmt::format(R"(<g fill="none" stroke="{}" stroke-width="1.2">)", colour) + "\n";
  for (std::size_t i = 0; i < std::min({x.size(), y.size(), weight.size()}); ++i) {
    const double w = std::clamp(weight[i], 0.0, 1.0);
    if (w < 0.01)
      continue; // a component the network has switched off
    body_ += fmt::format(R"(<circle cx="{}" cy="{}" r="{}"/>)", f2(px(x[i])), f2(py(y[i])),
                         f2(1 + 6 * std::sqrt(w))) +
             "\n";
  }
  body_ += "</g>\n";
  legend_entry("circle", colour, label);
}

std::string Plot::render(const std::string& id) const {
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" font-family="Helvetica, Arial, sans-serif">)",
      kWidth, kHeight, kWidth, kHeight);
  out += "\n<defs>\n";
  out += fmt::format(
      R"(<clipPath id="{}-area"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath>)", id,
      kLeft, kTop, kRight - kLeft, kBottom - kTop);
  out +=
      fmt::format("\n<linearGradient id=\"{}-heatbar\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">", id);
  for (int i = 0; i <= 4; ++i)
    out += fmt::format(R"(<stop offset="{}" stop-color="{}"/>)", i / 4.0, heat_colour(i / 4.0));
  out += "</linearGradient>\n</defs>\n";
  out += fmt::format(R"(<rect width="{}" height="{}" fill="white"/>)", kWidth, kHeight) + "\n";
  out += fmt::format(R"(<text x="{}" y="22" font-size="16" font-weight="bold">{}</text>)", kLeft,
                     escape_text(title_)) +
         "\n";
  if (!subtitle_.empty())
    out += fmt::format(R"(<text x="{}" y="40" font-size="12" fill="#444">{}</text>)", kLeft,
                       escape_text(subtitle_)) +
           "\n";
  // Grid lines and tick labels.
  out += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n";
  for (double t : ticks(x_))
    out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}"/>)", f2(px(t)), kTop, f2(px(t)),
                       kBottom) +
           "\n";
  for (double t : ticks(y_))
    out += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}"/>)", kLeft, f2(py(t)), kRight,
                       f2(py(t))) +
           "\n";
  out += fmt::format("</g>\n<g clip-path=\"url(#{}-area)\">\n", id) + body_ + "</g>\n";
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#333"/>)",
                     kLeft, kTop, kRight - kLeft, kBottom - kTop) +
         "\n";
  out += "<g font-size=\"11\" fill=\"#333\">\n";
  for (double t : ticks(x_))
    out +=
        fmt::format(
            R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#333"/><text x="{0}" y="{3}" text-anchor="middle">{4}</text>)",
            f2(px(t)), kBottom, kBottom + 5, kBottom + 18, tick_label(t)) +
        "\n";
  for (double t : ticks(y_))
    out +=
        fmt::format(
            R"(<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#333"/><text x="{3}" y="{1}" text-anchor="end" dominant-baseline="middle">{4}</text>)",
            kLeft - 5, f2(py(t)), kLeft, kLeft - 8, tick_label(t)) +
        "\n";
  out += "</g>\n";
  out += fmt::format(R"(<text x="{}" y="{}" font-size="13" text-anchor="middle">{}</text>)",
                     (kLeft + kRight) / 2, kBottom + 40, escape_text(x_label_)) +
         "\n";
  out +=
      fmt::format(
          R"x(<text x="18" y="{0}" font-size="13" text-anchor="middle" transform="rotate(-90 18 {0})">{1}</text>)x",
          (kTop + kBottom) / 2, escape_text(y_label_)) +
      "\n";
  out += legend_;
  out += colour_bar(id);
  out += "</svg>\n";
  return out;
}

void Plot::save(const std::string& path) const {
  write_file_atomic(path, render());
}

} // namespace tapegrad::examples

// The HTML page of `mdn report`: XHTML (so that an XML parser reads it too), one inline <svg> per
// picture, a small stylesheet, and nothing that a browser would fetch.
#include "common/figures.hpp"
#include "common/io.hpp"
#include "mdn_cli/commands.hpp"

#include <mdn/metrics.hpp>
#include <mdn/predictions.hpp>
#include <mdn/univariate.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace tapegrad::examples {

namespace {

constexpr double kLevels[] = {0.5, 0.8, 0.9, 0.95};

constexpr const char* kStyle = R"(
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 960px; margin: 2em auto;
       padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.3em 0.9em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child, td:nth-child(3), th:nth-child(3) { text-align: left; }
td.off { color: #b22; font-weight: bold; }
svg { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
p.note { color: #555; font-size: 0.92em; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
)";

std::string esc(const std::string& s) {
  return xml_escape(s);
}

std::string num(double v, const char* format = "{:.4f}") {
  return std::isfinite(v) ? fmt::format(fmt::runtime(format), v) : std::string("-");
}

// Column j of a [N, D] tensor.
std::vector<double> values(const Tensor& t, std::int64_t j) {
  return column(t, j);
}

// Bin edges and densities (counts / (n width)) of values over a range.
void histogram(const std::vector<double>& v, Range r, int bins, std::vector<double>& edges,
               std::vector<double>& density) {
  edges.clear();
  density.assign(static_cast<std::size_t>(bins), 0);
  const double width = (r.hi - r.lo) / bins;
  for (int b = 0; b <= bins; ++b)
    edges.push_back(r.lo + b * width);
  for (const double x : v) {
    const auto b = static_cast<int>(std::floor((x - r.lo) / width));
    if (b >= 0 && b < bins)
      density[static_cast<std::size_t>(b)] += 1;
  }
  for (double& d : density)
    d /= static_cast<double>(v.size()) * width;
}

std::string scores_table(const mdn::FittedModel& model, const mdn::Metrics& m, std::int64_t rows) {
  const std::string units = fmt::format("{}", fmt::join(model.y_names, ", "));
  std::string out = "<table>\n<tr><th>score</th><th>value</th><th>what it is</th></tr>\n";
  const auto row = [&](const std::string& name, const std::string& value, const std::string& what) {
    out += "<tr><td>" + esc(name) + "</td><td>" + value + "</td><td>" + esc(what) + "</td></tr>\n";
  };
  row("rows", fmt::format("{}", rows), "rows of the data scored");
  row("NLL", num(m.nll),
      "mean negative log-likelihood, nats per point in the units of " + units +
          "; lower is better");
  row("RMSE of the mean", fmt::format("{:.4g}", m.rmse), "root mean square error of E[y | x]");
  row("RMSE of the mode", fmt::format("{:.4g}", m.rmse_mode), "of the most probable y");
  row("MAE of the mean", fmt::format("{:.4g}", m.mae), "mean absolute error of E[y | x]");
  row("MAE of the mode", fmt::format("{:.4g}", m.mae_mode), "of the most probable y");
  if (m.crps)
    row("CRPS", fmt::format("{:.4g}", *m.crps),
        "continuous ranked probability score, in the units of " + units + "; lower is better");
  return out + "</table>\n";
}

// The coverage of the central intervals of each output's marginal, against nominal: a table and
// a picture.
std::string coverage_section(const mdn::Mixture& mixture, const mdn::FittedModel& model,
                             const Tensor& y, std::int64_t rows) {
  const std::int64_t d = mixture.dim();
  std::vector<std::vector<double>> observed(static_cast<std::size_t>(d));
  for (std::int64_t j = 0; j < d; ++j) {
    const mdn::Mixture mj = mdn::marginal(mixture, j);
    const Tensor yj = y.slice(1, j, j + 1);
    for (const double level : kLevels)
      observed[static_cast<std::size_t>(j)].push_back(mdn::interval_coverage(mj, yj, level));
  }
  // A share of n rows wanders about sqrt(p (1 - p) / n) from p by chance alone.
  std::string out = "<table>\n<tr><th>central interval</th>";
  for (const std::string& name : model.y_names)
    out += "<th>share of " + esc(name) + " inside</th>";
  out += "<th>expected by chance</th></tr>\n";
  for (std::size_t l = 0; l < std::size(kLevels); ++l) {
    const double p = kLevels[l], spread = 1.96 * std::sqrt(p * (1 - p) / static_cast<double>(rows));
    out += fmt::format("<tr><td>{:.0f}%</td>", p * 100);
    for (std::int64_t j = 0; j < d; ++j) {
      const double o = observed[static_cast<std::size_t>(j)][l];
      out += fmt::format("<td{}>{:.3f}</td>", std::abs(o - p) > spread ? " class=\"off\"" : "", o);
    }
    out += fmt::format("<td>{:.3f} &#177; {:.3f}</td></tr>\n", p, spread);
  }
  out += "</table>\n<p class=\"note\">In bold: further from nominal than a calibrated model's "
         "share would be 95% of the time.</p>\n";

  Plot plot("Coverage of the central intervals", "nominal coverage",
            "observed share of the data inside", {0.4, 1.0}, {0.4, 1.0});
  plot.line({0.4, 1.0}, {0.4, 1.0}, kGrey, "calibrated (observed = nominal)", 1.5, true);
  const Marker markers[] = {Marker::Circle, Marker::Square, Marker::Triangle, Marker::Diamond,
                            Marker::Cross};
  for (std::int64_t j = 0; j < d; ++j) {
    const auto i = static_cast<std::size_t>(j);
    std::vector<double> nominal(std::begin(kLevels), std::end(kLevels));
    plot.line(nominal, observed[i], series_colour(i), "", 1.5);
    plot.scatter(nominal, observed[i], series_colour(i), model.y_names[i], 5, 0.9,
                 markers[i % std::size(markers)]);
  }
  plot.subtitle("above the diagonal: intervals too wide (the model is unsure); below: too narrow");
  return out + plot.render("coverage");
}

std::string pit_picture(const mdn::Mixture& mixture, const Tensor& y, const std::string& name,
                        const std::string& id) {
  constexpr int bins = 10;
  const mdn::PitHistogram h = mdn::pit_histogram(mixture, y, bins);
  std::vector<double> edges, heights;
  for (int b = 0; b <= bins; ++b)
    edges.push_back(static_cast<double>(b) / bins);
  for (const std::int64_t c : h.counts)
    heights.push_back(static_cast<double>(c));
  const double top = std::max(*std::max_element(heights.begin(), heights.end()), h.hi);
  Plot plot("PIT histogram of " + name, "PIT = F(" + name + " | x), the model's CDF at the data",
            "rows", {0, 1}, {0, top * 1.1});
  plot.band(h.lo, h.hi, kGreen, "95% band of a calibrated model");
  plot.bars(edges, heights, kBlue, "rows per bin", 0.55);
  plot.line({0, 1}, {h.expected, h.expected}, kGrey, "flat: calibrated", 1.5, true);
  plot.subtitle("a U shape: the model is too sure; a hump: too unsure; a slope: biased");
  return plot.render(id);
}

std::string density_section(const mdn::FittedModel& model, const mdn::Mixture& mixture,
                            const ReportInputs& in, const Tensor& drawn) {
  std::string out;
  const std::string x0 = model.x_names[0], y0 = model.y_names[0];
  if (model.in_features() == 1 && model.out_dim() == 1) {
    out += "<h2>The density p(" + esc(y0) + " | " + esc(x0) + ")</h2>\n";
    Plot density = model_picture("p(" + y0 + " | " + x0 + ") and the data", model, in.x, in.y);
    out += density.render("density");
    const std::vector<double> xs = values(in.x, 0), ys = values(in.y, 0);
    const std::vector<double> ss = values(drawn, 0);
    Range xr = range_of(xs, 0.02);
    std::vector<double> both = ys;
    both.insert(both.end(), ss.begin(), ss.end());
    Plot samples("Samples from the model beside the data", x0, y0, xr, range_of(both, 0.05));
    samples.scatter(xs, ys, kBlue, "data", 2.0, scatter_opacity(xs.size(), 0.45), Marker::Circle);
    samples.scatter(xs, ss, kRed, "one sample per row", 2.0, scatter_opacity(ss.size(), 0.55),
                    Marker::Cross);
    samples.subtitle("a calibrated model's samples cover the data the way the data cover "
                     "themselves");
    out += samples.render("samples");
    return out;
  }
  out += "<h2>Marginals: each output, data beside samples</h2>\n<p class=\"note\">With " +
         fmt::format("{} inputs and {} outputs", model.in_features(), model.out_dim()) +
         " the density cannot be drawn over x; instead, for each output, the histogram of the "
         "data beside that of one sample from the model per row (as likely as the data if the "
         "model is right).</p>\n";
  (void)mixture;
  for (std::int64_t j = 0; j < model.out_dim(); ++j) {
    const std::vector<double> ys = values(in.y, j), ss = values(drawn, j);
    std::vector<double> both = ys;
    both.insert(both.end(), ss.begin(), ss.end());
    const Range r = range_of(both, 0.02);
    std::vector<double> edges, data_density, sample_density;
    histogram(ys, r, 40, edges, data_density);
    histogram(ss, r, 40, edges, sample_density);
    const std::string& name = model.y_names[static_cast<std::size_t>(j)];
    std::vector<double> step_x, step_y; // the samples' histogram as an outline
    for (std::size_t b = 0; b < sample_density.size(); ++b) {
      step_x.insert(step_x.end(), {edges[b], edges[b + 1]});
      step_y.insert(step_y.end(), {sample_density[b], sample_density[b]});
    }
    const double top = std::max(*std::max_element(data_density.begin(), data_density.end()),
                                *std::max_element(sample_density.begin(), sample_density.end()));
    Plot plot("Marginal of " + name, name, "density", r, {0, top * 1.1});
    plot.bars(edges, data_density, kBlue, "data", 0.45);
    plot.line(step_x, step_y, kRed, "samples, one per row", 2);
    out += plot.render(fmt::format("marginal{}", j));
  }
  return out;
}

} // namespace

std::string report_html(const mdn::FittedModel& model, const ReportInputs& in) {
  const mdn::Mixture mixture = model.mixture(in.x);
  const mdn::Metrics m = model.evaluate(in.x, in.y);
  Generator gen(in.seed);
  const Tensor drawn = mdn::sample(mixture, 1, gen).reshape({-1, model.out_dim()});
  const std::int64_t rows = in.x.size(0);
  const std::string what =
      fmt::format("p({} | {})", fmt::join(model.y_names, ", "), fmt::join(model.x_names, ", "));
  const mdn::MDNOptions& o = model.options();

  std::string page = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
                     "<head>\n<meta charset=\"utf-8\"/>\n<title>mdn report: " +
                     esc(what) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  page += "<h1>" + esc(what) + " on " + esc(in.data_name) + "</h1>\n";
  page +=
      "<p class=\"meta\">" +
      esc(fmt::format("model file {}: {} components, {} noise, hidden layers {} ({}); {} rows of "
                      "data",
                      in.model_path, o.components, mdn::noise_model_name(o.noise),
                      fmt::join(o.hidden, ", "), nn::activation_name(o.activation), rows)) +
      "</p>\n";

  page += "<h2>Scores</h2>\n" + scores_table(model, m, rows);
  page += density_section(model, mixture, in, drawn);

  page += "<h2>Calibration</h2>\n<p class=\"note\">The PIT of a row is the model's CDF at its "
          "value, F(y | x): for a calibrated model the PITs are uniform on [0, 1], so every bin "
          "holds about the same number of rows.</p>\n";
  for (std::int64_t j = 0; j < model.out_dim(); ++j)
    page += pit_picture(mdn::marginal(mixture, j), in.y.slice(1, j, j + 1),
                        model.y_names[static_cast<std::size_t>(j)], fmt::format("pit{}", j));
  page += coverage_section(mixture, model, in.y, rows);

  page += "<h2>Training</h2>\n";
  if (model.result.history.empty()) {
    page += "<p class=\"note\">This model file holds no training curves (files written before "
            "they were saved).</p>\n";
  } else {
    const auto& h = model.result.history;
    page += "<p class=\"note\">" +
            esc(fmt::format("{} epochs run; the model is that of epoch {}{}.", h.size(),
                            model.result.best_epoch,
                            std::isfinite(model.result.best_val_nll)
                                ? fmt::format(", the best validation NLL ({:.4f} nats per point)",
                                              model.result.best_val_nll)
                                : std::string(", the last (no validation data)"))) +
            "</p>\n";
    page += loss_plot("Training and validation NLL", model.result,
                      fmt::format("{}", fmt::join(model.y_names, ", ")))
                .render("loss");
  }
  page += "<footer>" + esc(version_line()) + "</footer>\n</body>\n</html>\n";
  return page;
}

} // namespace tapegrad::examples

// temperature: sampling an MDN at a temperature, as the temperature-sampling post.
//
//   a component k ~ softmax(log pi / tau)           (tau on the weights)
//   y = mu_k + sqrt(tau_sigma) sigma_k eps          (tau_sigma on the scales)
//
// The data are the tutorial's noisy sine inverted: y from x = 0.5 y + 8 sin(0.3 y) + N(0, 1),
// which has up to three y for one x. At tau = 1 the samples look like the data; colder (tau < 1)
// they gather on the most probable branch and its centre line; hotter (tau > 1) the weights even
// out and the spread grows. The slice p(y | x = 0) shows the mixture and its weighted components.
#include "common/csv.hpp"
#include "common/example.hpp"
#include "common/figures.hpp"
#include "common/io.hpp"

#include <mdn/metrics.hpp>

#include <fmt/format.h>

#include <cmath>
#include <numbers>

using namespace tapegrad;
using namespace tapegrad::examples;

namespace {

constexpr double kTemperatures[] = {0.1, 0.5, 1.0, 2.0};

// The mixture the sampler draws from at temperature tau (weights) and tau_sigma (scales), for
// 1-D diagonal mixtures: weights proportional to pi_k^(1/tau), scales times sqrt(tau_sigma).
mdn::Mixture tempered(const mdn::Mixture& m, double tau, double tau_sigma) {
  const std::int64_t b = m.batch_size(), k = m.num_components();
  std::vector<double> log_pi = m.log_pi.to_vector<double>(), scale = m.scale.to_vector<double>();
  for (std::int64_t r = 0; r < b; ++r) {
    double top = -INFINITY;
    for (std::int64_t j = 0; j < k; ++j)
      top = std::max(top, log_pi[static_cast<std::size_t>(r * k + j)] / tau);
    double total = 0;
    for (std::int64_t j = 0; j < k; ++j)
      total += std::exp(log_pi[static_cast<std::size_t>(r * k + j)] / tau - top);
    for (std::int64_t j = 0; j < k; ++j) {
      double& v = log_pi[static_cast<std::size_t>(r * k + j)];
      v = v / tau - top - std::log(total);
    }
  }
  for (double& s : scale)
    s *= std::sqrt(tau_sigma);
  return mdn::Mixture(m.noise, from_vector(log_pi, m.log_pi.shape(), m.log_pi.dtype()), m.mean,
                      from_vector(scale, m.scale.shape(), m.scale.dtype()));
}

// Several plots in one SVG file, `columns` to a row, each at its own size.
void save_panels(const std::string& path, const std::vector<Plot>& plots, int columns) {
  constexpr int width = 900, height = 460;
  const int rows = (static_cast<int>(plots.size()) + columns - 1) / columns;
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}">)",
      width * columns, height * rows);
  out += "\n";
  for (std::size_t i = 0; i < plots.size(); ++i) {
    std::string panel = plots[i].render(fmt::format("panel{}", i));
    const int col = static_cast<int>(i) % columns, row = static_cast<int>(i) / columns;
    panel.replace(0, 4, fmt::format(R"(<svg x="{}" y="{}")", col * width, row * height));
    out += panel;
    if (out.back() != '\n')
      out += "\n";
  }
  out += "</svg>\n";
  write_file_atomic(path, out);
}

} // namespace

int main(int argc, char** argv) {
  return example_main(
      argc, argv, "temperature",
      "Temperature sampling: an MDN's samples at tau = 0.1, 0.5, 1 and 2, and the mixture p(y | x "
      "= 0) with its components.",
      [](const ExampleRun& run) {
        // The inverted noisy sine: the sine's y is our x and its x our y.
        const Dataset sine = noisy_sine(3000, run.seed), sine_test = noisy_sine(3000, run.seed + 1);
        const Dataset train{sine.y.slice(0, 0, 2250), sine.x.slice(0, 0, 2250)};
        const Dataset val{sine.y.slice(0, 2250, 3000), sine.x.slice(0, 2250, 3000)};
        const Dataset test{sine_test.y, sine_test.x};

        FitSettings settings;
        settings.model = {.components = 6, .hidden = {32, 32}};
        settings.train = {.epochs = run.epochs(400), .batch_size = 250, .lr = 0.005};
        settings.train.seed = run.seed;
        settings.seed = run.seed;
        const mdn::FittedModel mdn = fit_mdn(train.x, train.y, val.x, val.y, settings);
        const mdn::Mixture mixture = mdn.mixture(test.x);
        // (mdn::evaluate would add the mode's errors too, which take a while to find.)
        fmt::print("held-out: NLL {:.3f} nats per point, RMSE of the mean {:.3f}, 90% coverage "
                   "{:.3f}\n",
                   mixture.nll(test.y).item<double>(), rmse(mdn::mixture_mean(mixture), test.y),
                   mdn::interval_coverage(mixture, test.y, 0.9));

        const std::string dir = run.out.string() + "/";
        const std::vector<double> xs = column(train.x), ys = column(train.y);
        std::vector<std::vector<double>> rows;
        for (std::size_t i = 0; i < xs.size(); ++i)
          rows.push_back({xs[i], ys[i]});
        write_csv(dir + "data.csv", {"x", "y"}, rows);

        // Samples at each temperature: one per x for the first 1000 training inputs.
        constexpr std::int64_t shown = 1000;
        const Tensor x_shown = train.x.slice(0, 0, shown);
        const std::vector<double> xv = column(x_shown);
        const mdn::Mixture at_x = mdn.mixture(x_shown);
        const Range xr = range_of(xs, 0.02), yr = range_of(ys, 0.08);
        rows.clear();
        Generator gen(run.seed + 1000);
        std::vector<std::vector<double>> drawn;
        std::vector<double> nlls, everything = ys;
        for (const double tau : kTemperatures) {
          drawn.push_back(
              column(mdn::sample(at_x, 1, gen, {.temperature = tau, .sigma_temperature = tau})
                         .reshape({-1, 1})));
          for (std::size_t i = 0; i < xv.size(); ++i)
            rows.push_back({tau, xv[i], drawn.back()[i]});
          everything.insert(everything.end(), drawn.back().begin(), drawn.back().end());
          nlls.push_back(tempered(mixture, tau, tau).nll(test.y).item<double>());
          fmt::print("tau = tau_sigma = {:<4}: held-out NLL of the tempered mixture {:.3f}\n", tau,
                     nlls.back());
        }
        // One y axis for the four panels, holding every sample (hot ones spread beyond the data).
        const Range panel_yr = range_of(everything, 0.03);
        std::vector<Plot> panels;
        for (std::size_t t = 0; t < std::size(kTemperatures); ++t) {
          const double tau = kTemperatures[t];
          Plot plot(fmt::format("Samples at temperature {}", tau), "x", "y", xr, panel_yr);
          plot.scatter(xv, column(train.y.slice(0, 0, shown)), "#999999", "training data", 1.2,
                       0.3);
          plot.scatter(xv, drawn[t], kRed, "one sample per x", 1.6, 0.6, Marker::Cross);
          plot.subtitle(fmt::format("tau = tau_sigma = {}; held-out NLL at this temperature {:.3f}",
                                    tau, nlls[t]));
          panels.push_back(std::move(plot));
        }
        write_csv(dir + "samples.csv", {"temperature", "x", "y"}, rows);
        save_panels(dir + "samples.svg", panels, 2);

        // The slice p(y | x = 0): the mixture, its weighted components, and the tempered mixtures.
        constexpr std::int64_t grid_size = 300;
        const std::vector<double> grid = cell_centres(yr, grid_size);
        const Tensor points = from_vector(grid, {grid_size, 1}, kFloat32);
        const Tensor zero = from_vector(std::vector<double>{0.0}, {1, 1}, kFloat32);
        const mdn::Mixture slice = mdn.mixture(zero);
        const std::vector<double> density = mdn::density_grid(slice, 0, points).to_vector<double>();
        const std::vector<double> log_pi = slice.log_pi.to_vector<double>();
        const std::vector<double> mean = slice.mean.to_vector<double>();
        const std::vector<double> scale = slice.scale.to_vector<double>();
        const std::size_t k = static_cast<std::size_t>(slice.num_components());
        std::vector<std::vector<double>> parts(k, std::vector<double>(grid.size()));
        for (std::size_t j = 0; j < k; ++j)
          for (std::size_t g = 0; g < grid.size(); ++g) {
            const double z = (grid[g] - mean[j]) / scale[j];
            parts[j][g] =
                std::exp(log_pi[j] - 0.5 * z * z) / (scale[j] * std::sqrt(2 * std::numbers::pi));
          }
        std::vector<std::vector<double>> hot;
        for (const double tau : kTemperatures)
          hot.push_back(
              mdn::density_grid(tempered(slice, tau, tau), 0, points).to_vector<double>());
        std::vector<std::string> header{"y", "density"};
        for (std::size_t j = 0; j < k; ++j)
          header.push_back(fmt::format("component_{}", j + 1));
        for (const double tau : kTemperatures)
          header.push_back(fmt::format("density_tau_{}", tau));
        rows.clear();
        for (std::size_t g = 0; g < grid.size(); ++g) {
          std::vector<double> row{grid[g], density[g]};
          for (std::size_t j = 0; j < k; ++j)
            row.push_back(parts[j][g]);
          for (const std::vector<double>& h : hot)
            row.push_back(h[g]);
          rows.push_back(row);
        }
        write_csv(dir + "slice.csv", header, rows);

        // A histogram of the training targets whose x is near 0, scaled to a density.
        constexpr double near = 0.5;
        constexpr std::int64_t bins = 40;
        std::vector<double> counts(bins, 0);
        double inside = 0;
        for (std::size_t i = 0; i < xs.size(); ++i)
          if (std::abs(xs[i]) < near) {
            const auto bin = static_cast<std::int64_t>((ys[i] - yr.lo) / (yr.hi - yr.lo) * bins);
            counts[static_cast<std::size_t>(std::clamp<std::int64_t>(bin, 0, bins - 1))] += 1;
            inside += 1;
          }
        const double width = (yr.hi - yr.lo) / bins;
        std::vector<double> hx, hy;
        for (std::int64_t b = 0; b < bins; ++b) {
          const double h = inside > 0 ? counts[static_cast<std::size_t>(b)] / (inside * width) : 0;
          hx.insert(hx.end(), {yr.lo + b * width, yr.lo + (b + 1) * width});
          hy.insert(hy.end(), {h, h});
        }

        // The axes hold the mixture and the histogram both.
        double top = 0;
        for (const double v : density)
          top = std::max(top, v);
        for (const double v : hy)
          top = std::max(top, v);
        Plot components("The mixture at x = 0 and its components", "y", "p(y | x = 0)", yr,
                        {0, top * 1.08});
        components.line(hx, hy, "#aaaaaa", fmt::format("training y with |x| < {}", near), 1.5);
        for (std::size_t j = 0; j < k; ++j)
          components.line(grid, parts[j], series_colour(j + 1),
                          j == 0 ? "weighted components (a colour each)" : "", 1.8, true);
        components.line(grid, density, kBlack, "p(y | x = 0)", 2.5);
        // The coldest peak is far taller than the rest: let it run off the top.
        Plot temperatures("The mixture at x = 0 at each temperature", "y", "p(y | x = 0)", yr,
                          {0, top * 1.8});
        for (std::size_t t = 0; t < hot.size(); ++t)
          temperatures.line(grid, hot[t], series_colour(t),
                            fmt::format("tau = tau_sigma = {}", kTemperatures[t]), 2.0);
        temperatures.subtitle(
            "colder: the weights sharpen onto the most probable component (tau = 0.1 "
            "peaks off the top); hotter: they even out and the bumps widen");
        save_panels(dir + "slice.svg", {components, temperatures}, 1);

        Plot loss = loss_plot("Temperature: MDN training and validation NLL", mdn.result, "y");
        loss.save(dir + "loss.svg");
      });
}

#include "common/figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tapegrad::examples {

std::vector<double> column(const Tensor& t, std::int64_t c) {
  const std::vector<double> v = t.to_vector<double>();
  const std::int64_t width = t.dim() == 1 ? 1 : t.size(1);
  std::vector<double> out;
  for (std::size_t i = static_cast<std::size_t>(c); i < v.size();
       i += static_cast<std::size_t>(width))
    out.push_back(v[i]);
  return out;
}

Plot density_plot(const std::string& title, const MixtureOf& mixture_of, Range x, Range y,
                  const std::string& x_label, const std::string& y_label, std::int64_t nx,
                  std::int64_t ny) {
  const std::vector<double> xs = cell_centres(x, nx), ys = cell_centres(y, ny);
  const mdn::Mixture mixture = mixture_of(from_vector(xs, {nx, 1}, kFloat32));
  const Tensor points = from_vector(ys, {ny, 1}, mixture.mean.dtype());
  std::vector<double> values(static_cast<std::size_t>(nx * ny));
  for (std::int64_t ix = 0; ix < nx; ++ix) {
    const std::vector<double> p = mdn::density_grid(mixture, ix, points).to_vector<double>();
    for (std::int64_t iy = 0; iy < ny; ++iy)
      values[static_cast<std::size_t>(iy * nx + ix)] = p[static_cast<std::size_t>(iy)];
  }
  Plot plot(title, x_label, y_label, x, y);
  plot.heatmap(values, nx, ny, "p(" + y_label + " | " + x_label + ")");
  return plot;
}

void add_component_means(Plot& plot, const MixtureOf& mixture_of, Range x, std::int64_t count) {
  const std::vector<double> xs = cell_centres(x, count);
  const mdn::Mixture mixture = mixture_of(from_vector(xs, {count, 1}, kFloat32));
  const std::vector<double> mean = mixture.mean.to_vector<double>();
  const std::vector<double> log_pi = mixture.log_pi.to_vector<double>();
  const std::int64_t k = mixture.num_components();
  std::vector<double> cx, cy, w;
  for (std::int64_t b = 0; b < count; ++b)
    for (std::int64_t j = 0; j < k; ++j) {
      cx.push_back(xs[static_cast<std::size_t>(b)]);
      cy.push_back(mean[static_cast<std::size_t>(b * k + j)]);
      w.push_back(std::exp(log_pi[static_cast<std::size_t>(b * k + j)]));
    }
  plot.weighted_circles(cx, cy, w, kBlack, "component means (size: weight)");
}

Plot loss_plot(const std::string& title, const mdn::TrainResult& result,
               const std::string& y_name) {
  std::vector<double> epoch, train, val_epoch, val;
  for (const mdn::EpochReport& r : result.history) {
    epoch.push_back(static_cast<double>(r.epoch));
    train.push_back(r.train_nll);
    if (std::isfinite(r.val_nll)) {
      val_epoch.push_back(static_cast<double>(r.epoch));
      val.push_back(r.val_nll);
    }
  }
  std::vector<double> all = train;
  all.insert(all.end(), val.begin(), val.end());
  Plot plot(title, "epoch", "NLL (nats per point, in the units of " + y_name + ")",
            {0, std::max(2.0, epoch.empty() ? 2.0 : epoch.back())}, range_of(all, 0.04));
  plot.line(epoch, train, kBlue, "training");
  if (!val.empty())
    plot.line(val_epoch, val, kOrange, "validation");
  if (result.best_epoch > 0) {
    const bool measured = std::isfinite(result.best_val_nll);
    plot.vertical(static_cast<double>(result.best_epoch), kGrey,
                  measured ? fmt::format("best epoch, {} (kept)", result.best_epoch)
                           : fmt::format("last epoch, {} (kept)", result.best_epoch));
    if (measured)
      plot.scatter({static_cast<double>(result.best_epoch)}, {result.best_val_nll}, kBlack,
                   fmt::format("best validation NLL, {:.4f}", result.best_val_nll), 4.5, 1,
                   Marker::Diamond);
  }
  return plot;
}

} // namespace tapegrad::examples

#include "mdn/metrics.hpp"

#include "autograd/tape.hpp"
#include "mdn/predictions.hpp"
#include "mdn/univariate.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad::mdn {

namespace {

struct Errors {
  double rmse, mae;
};

Errors errors(const Tensor& prediction, const Tensor& y) {
  const std::vector<double> p = prediction.to_vector<double>(), t = y.to_vector<double>();
  double squared = 0, absolute = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    squared += (p[i] - t[i]) * (p[i] - t[i]);
    absolute += std::abs(p[i] - t[i]);
  }
  const double n = static_cast<double>(p.size());
  return {std::sqrt(squared / n), absolute / n};
}

double average(const Tensor& values) {
  double sum = 0;
  for (double v : values.to_vector<double>())
    sum += v;
  return sum / static_cast<double>(values.numel());
}

} // namespace

double interval_coverage(const Mixture& mixture, const Tensor& y, double level) {
  if (!(level > 0 && level < 1))
    fail("interval_coverage: expected a level strictly between 0 and 1, got {}", level);
  const std::vector<double> lo = quantile(mixture, (1 - level) / 2).to_vector<double>();
  const std::vector<double> hi = quantile(mixture, (1 + level) / 2).to_vector<double>();
  const std::vector<double> t = y.to_vector<double>();
  double inside = 0;
  for (std::size_t b = 0; b < t.size(); ++b)
    inside += t[b] >= lo[b] && t[b] <= hi[b];
  return inside / static_cast<double>(t.size());
}

Metrics evaluate(const Mixture& mixture, const Tensor& y) {
  NoGradGuard no_grad;
  Metrics metrics;
  metrics.nll = mixture.nll(y).item<double>();
  const Errors of_mean = errors(mixture_mean(mixture), y),
               of_mode = errors(mixture_mode(mixture), y);
  metrics.rmse = of_mean.rmse;
  metrics.mae = of_mean.mae;
  metrics.rmse_mode = of_mode.rmse;
  metrics.mae_mode = of_mode.mae;
  if (mixture.dim() == 1) {
    metrics.crps = average(crps(mixture, y));
    metrics.coverage90 = interval_coverage(mixture, y, 0.9);
  }
  return metrics;
}

PitHistogram pit_histogram(const Mixture& mixture, const Tensor& y, std::int64_t bins) {
  if (bins < 1)
    fail("pit_histogram: {} bins; expected at least 1", bins);
  PitHistogram h;
  h.counts.assign(static_cast<std::size_t>(bins), 0);
  const std::vector<double> u = pit(mixture, y).to_vector<double>();
  for (const double v : u) {
    const auto bin = static_cast<std::int64_t>(std::floor(v * static_cast<double>(bins)));
    ++h.counts[static_cast<std::size_t>(std::clamp<std::int64_t>(bin, 0, bins - 1))];
  }
  const double n = static_cast<double>(u.size()), p = 1.0 / static_cast<double>(bins);
  h.expected = n * p;
  const double spread = 1.96 * std::sqrt(n * p * (1 - p));
  h.lo = std::max(0.0, h.expected - spread);
  h.hi = h.expected + spread;
  return h;
}

} // namespace tapegrad::mdn

#include "mdn/univariate.hpp"

#include "mdn/dense_mixture.hpp"

#include <cmath>
#include <numbers>

namespace tapegrad::mdn {

namespace {

double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}
double normal_pdf(double z) {
  return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi);
}

// E|X| for X ~ N(m, s^2)
double abs_moment(double m, double s) {
  return 2 * s * normal_pdf(m / s) + m * (2 * normal_cdf(m / s) - 1);
}

DenseMixture univariate(const Mixture& mixture, const char* what) {
  if (mixture.dim() != 1)
    fail("{}: defined for one-dimensional outputs, this mixture has D = {}", what, mixture.dim());
  return DenseMixture(mixture);
}

std::vector<double> targets(const Mixture& mixture, const Tensor& y, const char* what) {
  if (!(y.shape() == Shape{mixture.batch_size(), 1}))
    fail("{}: targets have shape {}, expected [{}, 1]", what, y.shape(), mixture.batch_size());
  return y.to_vector<double>();
}

// In the univariate case the scale matrix is 1 x 1: sigma_k itself.
double sigma(const DenseMixture& m, std::int64_t b, std::int64_t k) {
  return m.tril_of(b, k)[0];
}

double row_cdf(const DenseMixture& m, std::int64_t b, double y) {
  double f = 0;
  for (std::int64_t k = 0; k < m.components; ++k)
    f += m.pi(b, k) * normal_cdf((y - m.mean_of(b, k)[0]) / sigma(m, b, k));
  return f;
}

Tensor result(std::vector<double> values, const Mixture& mixture) {
  const auto n = static_cast<std::int64_t>(values.size());
  return from_vector(values, {n}, mixture.mean.dtype());
}

} // namespace

Tensor cdf(const Mixture& mixture, const Tensor& y) {
  const DenseMixture m = univariate(mixture, "cdf");
  std::vector<double> values = targets(mixture, y, "cdf");
  for_each_row(m.batch, m.components * 20,
               [&](std::int64_t b) { values[b] = row_cdf(m, b, values[b]); });
  return result(values, mixture);
}

Tensor pit(const Mixture& mixture, const Tensor& y) {
  return cdf(mixture, y);
}

Tensor quantile(const Mixture& mixture, double q) {
  if (!(q > 0 && q < 1))
    fail("quantile: expected a probability strictly between 0 and 1, got {}", q);
  const DenseMixture m = univariate(mixture, "quantile");
  std::vector<double> values(m.batch);
  for_each_row(m.batch, m.components * 20 * 60, [&](std::int64_t b) {
    // Every component's CDF is within 1e-300 of 0 or 1 forty standard deviations out: the
    // quantile lies between these bounds.
    double lo = INFINITY, hi = -INFINITY;
    for (std::int64_t k = 0; k < m.components; ++k) {
      lo = std::min(lo, m.mean_of(b, k)[0] - 40 * sigma(m, b, k));
      hi = std::max(hi, m.mean_of(b, k)[0] + 40 * sigma(m, b, k));
    }
    for (int i = 0; i < 200 && hi - lo > 1e-14 * (1 + std::abs(lo) + std::abs(hi)); ++i) {
      const double mid = 0.5 * (lo + hi);
      (row_cdf(m, b, mid) < q ? lo : hi) = mid;
    }
    values[b] = 0.5 * (lo + hi);
  });
  return result(values, mixture);
}

Tensor crps(const Mixture& mixture, const Tensor& y) {
  const DenseMixture m = univariate(mixture, "crps");
  std::vector<double> values = targets(mixture, y, "crps");
  for_each_row(m.batch, m.components * m.components * 30, [&](std::int64_t b) {
    double spread_to_y = 0, spread_within = 0;
    for (std::int64_t k = 0; k < m.components; ++k) {
      const double pk = m.pi(b, k), mk = m.mean_of(b, k)[0], sk = sigma(m, b, k);
      spread_to_y += pk * abs_moment(values[b] - mk, sk);
      for (std::int64_t l = 0; l < m.components; ++l) {
        const double sl = sigma(m, b, l);
        spread_within +=
            pk * m.pi(b, l) * abs_moment(mk - m.mean_of(b, l)[0], std::sqrt(sk * sk + sl * sl));
      }
    }
    values[b] = spread_to_y - 0.5 * spread_within;
  });
  return result(values, mixture);
}

} // namespace tapegrad::mdn

#include "mdn/sampling.hpp"

#include "mdn/dense_mixture.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad::mdn {

namespace {

// The mixing weights softened by the temperature: softmax(log_pi / tau), or the most probable
// component alone at tau = 0.
std::vector<double> tempered_weights(const DenseMixture& m, std::int64_t b, double tau) {
  std::vector<double> w(static_cast<std::size_t>(m.components), 0.0);
  if (tau == 0) {
    w[m.most_probable(b)] = 1;
    return w;
  }
  const double* log_pi = m.log_pi.data() + b * m.components;
  const double top = *std::max_element(log_pi, log_pi + m.components);
  double total = 0;
  for (std::int64_t k = 0; k < m.components; ++k)
    total += w[k] = std::exp((log_pi[k] - top) / tau);
  for (double& v : w)
    v /= total;
  return w;
}

std::int64_t draw_component(const std::vector<double>& weights, Generator& generator) {
  const double u = generator.uniform();
  double cumulative = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    cumulative += weights[k];
    if (u < cumulative)
      return static_cast<std::int64_t>(k);
  }
  // Rounding can leave the total a hair below 1: fall back to the last component with weight.
  for (std::size_t k = weights.size(); k-- > 0;)
    if (weights[k] > 0)
      return static_cast<std::int64_t>(k);
  return 0;
}

} // namespace

Tensor sample(const Mixture& mixture, std::int64_t n, Generator& generator,
              const SampleOptions& options) {
  if (n < 0)
    fail("sample: expected a non-negative number of samples, got {}", n);
  if (!(options.temperature >= 0) || !std::isfinite(options.temperature))
    fail("sample: the temperature must be a finite number >= 0, got {}", options.temperature);
  if (!(options.sigma_temperature >= 0) || !std::isfinite(options.sigma_temperature))
    fail("sample: the sigma temperature must be a finite number >= 0, got {}",
         options.sigma_temperature);
  const DenseMixture m(mixture);
  const std::int64_t d = m.dim;
  const double stretch = std::sqrt(options.sigma_temperature);
  std::vector<double> out(static_cast<std::size_t>(m.batch * n * d));
  std::vector<double> eps(static_cast<std::size_t>(d));
  for (std::int64_t b = 0; b < m.batch; ++b) {
    const std::vector<double> weights = tempered_weights(m, b, options.temperature);
    for (std::int64_t s = 0; s < n; ++s) {
      const std::int64_t k = draw_component(weights, generator);
      for (double& e : eps)
        e = generator.normal();
      const double* mu = m.mean_of(b, k);
      const double* l = m.tril_of(b, k);
      double* y = out.data() + (b * n + s) * d;
      for (std::int64_t i = 0; i < d; ++i) {
        double acc = 0;
        for (std::int64_t j = 0; j <= i; ++j)
          acc += l[i * d + j] * eps[j];
        y[i] = mu[i] + stretch * acc;
      }
    }
  }
  return from_vector(out, {m.batch, n, d}, mixture.mean.dtype());
}

} // namespace tapegrad::mdn

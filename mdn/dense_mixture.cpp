#include "mdn/dense_mixture.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad::mdn {

DenseMixture::DenseMixture(const Mixture& mixture)
    : batch(mixture.batch_size()), components(mixture.num_components()), dim(mixture.dim()),
      log_pi(mixture.log_pi.to_vector<double>()), mean(mixture.mean.to_vector<double>()),
      scale_tril(static_cast<std::size_t>(batch * components * dim * dim), 0.0),
      log_det(static_cast<std::size_t>(batch * components), 0.0) {
  const std::vector<double> scale = mixture.scale.to_vector<double>();
  for (std::int64_t c = 0; c < batch * components; ++c)
    for (std::int64_t i = 0; i < dim; ++i)
      for (std::int64_t j = 0; j <= i; ++j) {
        double value = 0;
        switch (mixture.noise) {
        case NoiseModel::Full:
          value = scale[(c * dim + i) * dim + j];
          break;
        case NoiseModel::Diagonal:
          value = i == j ? scale[c * dim + i] : 0;
          break;
        case NoiseModel::Isotropic:
        case NoiseModel::Fixed:
          value = i == j ? scale[c] : 0;
          break;
        }
        scale_tril[(c * dim + i) * dim + j] = value;
      }
  // Once here rather than in every density: the mode's search evaluates each component's density
  // thousands of times per row.
  for (std::int64_t c = 0; c < batch * components; ++c)
    for (std::int64_t i = 0; i < dim; ++i)
      log_det[c] += std::log(scale_tril[(c * dim + i) * dim + i]);
}

double DenseMixture::pi(std::int64_t b, std::int64_t k) const {
  return std::exp(log_pi[b * components + k]);
}

double DenseMixture::component_log_density(std::int64_t b, std::int64_t k, const double* y) const {
  const double* mu = mean_of(b, k);
  const double* l = tril_of(b, k);
  // z = L^-1 (y - mu) by forward substitution; log N = -|z|^2/2 - sum log L_ii - (D/2) log 2 pi.
  // The buffer is the thread's own (rows are searched in parallel) and outlives the call, so that
  // the search allocates nothing per density.
  thread_local std::vector<double> z;
  z.resize(static_cast<std::size_t>(dim));
  double quadratic = 0;
  for (std::int64_t i = 0; i < dim; ++i) {
    double acc = y[i] - mu[i];
    for (std::int64_t j = 0; j < i; ++j)
      acc -= l[i * dim + j] * z[j];
    z[i] = acc / l[i * dim + i];
    quadratic += z[i] * z[i];
  }
  return -0.5 * quadratic - log_det[b * components + k] - kernels::gaussian_log_normalizer(dim);
}

double DenseMixture::log_density(std::int64_t b, const double* y) const {
  double best = -INFINITY;
  thread_local std::vector<double> terms; // the thread's own, kept between calls
  terms.resize(static_cast<std::size_t>(components));
  for (std::int64_t k = 0; k < components; ++k) {
    terms[k] = log_pi[b * components + k] + component_log_density(b, k, y);
    best = std::max(best, terms[k]);
  }
  if (!std::isfinite(best))
    return best;
  double sum = 0;
  for (std::int64_t k = 0; k < components; ++k)
    sum += std::exp(terms[k] - best);
  return best + std::log(sum);
}

std::int64_t DenseMixture::most_probable(std::int64_t b) const {
  const auto first = log_pi.begin() + b * components;
  return std::max_element(first, first + components) - first;
}

} // namespace tapegrad::mdn

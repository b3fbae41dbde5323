#pragma once
// A Mixture copied off the tape into doubles, every noise model written as a lower-triangular scale
// matrix, for the computations that need no gradient: sampling, predictions and metrics.
#include "mdn/mixture.hpp"

#include <vector>

namespace tapegrad::mdn {

struct DenseMixture {
  std::int64_t batch = 0, components = 0, dim = 0;
  std::vector<double> log_pi;     // [B][K]
  std::vector<double> mean;       // [B][K][D]
  std::vector<double> scale_tril; // [B][K][D][D], zeros above the diagonal

  explicit DenseMixture(const Mixture& mixture);

  const double* mean_of(std::int64_t b, std::int64_t k) const {
    return mean.data() + (b * components + k) * dim;
  }
  const double* tril_of(std::int64_t b, std::int64_t k) const {
    return scale_tril.data() + ((b * components + k) * dim) * dim;
  }
  double pi(std::int64_t b, std::int64_t k) const;
  // log N(y | mu_bk, Sigma_bk) at a point y of dimension D.
  double component_log_density(std::int64_t b, std::int64_t k, const double* y) const;
  // log p(y | x_b) at a point y of dimension D.
  double log_density(std::int64_t b, const double* y) const;
  // The index of the component with the largest weight in row b.
  std::int64_t most_probable(std::int64_t b) const;
};

} // namespace tapegrad::mdn

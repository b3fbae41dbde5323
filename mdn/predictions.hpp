#pragma once
// Point predictions from a mixture, all off the tape:
//   mean           E[y|x] = sum_k pi_k mu_k
//   covariance     Cov[y|x] = sum_k pi_k Sigma_k  +  sum_k pi_k (mu_k - E)(mu_k - E)^T
//                  (within components + between components: the law of total variance)
//   most_probable_mean   mu_k of the k with the largest pi_k
//   mode           the highest point of the density, by mean-shift from every component mean
//   density_grid   p(y|x_b) at given points y, for plots
//   marginal       the mixture of one output coordinate alone: the same weights, mu_kj, and the
//                  standard deviation sqrt((Sigma_k)_jj) (for a full covariance the norm of row j
//                  of L_k)
#include "mdn/mixture.hpp"

namespace tapegrad::mdn {

Tensor mixture_mean(const Mixture& mixture);       // [B, D]
Tensor most_probable_mean(const Mixture& mixture); // [B, D]

struct Covariance {
  Tensor within;  // [B, D, D] sum_k pi_k Sigma_k: the noise the components themselves carry
  Tensor between; // [B, D, D] the spread of the component means around the mixture mean
  Tensor total;   // within + between
};
Covariance mixture_covariance(const Mixture& mixture);

struct ModeOptions {
  int max_iterations = 500;
  double tolerance = 1e-10; // stop when a step moves less than this (relative to 1 + |y|)
};
// The global mode of each row's density: mean-shift (the fixed point of
// y = (sum_k r_k(y) Sigma_k^-1)^-1 sum_k r_k(y) Sigma_k^-1 mu_k, r_k the responsibilities) run from
// every component mean, keeping the end point of highest density. [B, D]
Tensor mixture_mode(const Mixture& mixture, const ModeOptions& options = {});

// p(y | x_b) for the mixture of row b at each point of `points` [G, D]: [G], float64.
Tensor density_grid(const Mixture& mixture, std::int64_t row, const Tensor& points);

// p(y_j | x) of each row, a one-dimensional mixture (diagonal; isotropic and fixed keep theirs),
// so that the one-dimensional tools (cdf, quantile, pit, crps) apply to each output. Off the tape.
Mixture marginal(const Mixture& mixture, std::int64_t output);

} // namespace tapegrad::mdn

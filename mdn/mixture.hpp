#pragma once
// A batch of Gaussian mixtures, one per input row, and its log-density on the tape.
//
//   log p(y | x) = logsumexp_k( log pi_k + log N(y | mu_k, Sigma_k) )
//   log N(y | mu, Sigma) = -(D/2) log(2 pi) - sum_d log L_dd - |L^-1 (y - mu)|^2 / 2
//
// where L is the scale (the Cholesky factor of Sigma; diagonal for the diagonal, isotropic and
// fixed noise models). Everything stays in log space: log pi comes from log_softmax, the sum over
// components is a logsumexp, and the scales enter through their logarithms, so the loss is finite
// for logits of +-1e4 and for targets far from every mean.
#include "autograd/tensor.hpp"
#include "mdn/kernels/gaussian.hpp"
#include "mdn/noise_model.hpp"

namespace tapegrad::mdn {

struct Mixture {
  NoiseModel noise = NoiseModel::Diagonal;
  Tensor log_pi; // [B, K] log mixing weights: each row's exp sums to 1
  Tensor mean;   // [B, K, D]
  // Diagonal: [B, K, D] scales; Isotropic and Fixed: [B, K, 1]; Full: [B, K, D, D] scale_tril, the
  // lower-triangular Cholesky factor of each covariance (its strict upper triangle is ignored).
  Tensor scale;

  Mixture() = default;
  // Checks that the shapes and dtypes agree with each other and with the noise model.
  Mixture(NoiseModel noise, Tensor log_pi, Tensor mean, Tensor scale);

  std::int64_t batch_size() const { return mean.size(0); }
  std::int64_t num_components() const { return mean.size(1); }
  std::int64_t dim() const { return mean.size(2); }

  // log N(y_b | mu_bk, Sigma_bk) for y of shape [B, D]: [B, K].
  Tensor component_log_prob(const Tensor& y) const;
  // log p(y_b | x_b): [B]. One fused record for the diagonal-scale noise models.
  Tensor log_prob(const Tensor& y) const;
  // The same as logsumexp(log_pi + component_log_prob(y), 1), op by op: the reference the fused
  // op is tested against, and the path of the full-covariance model.
  Tensor log_prob_composed(const Tensor& y) const;
  // The mean negative log-likelihood in nats per point: a scalar to call backward() on.
  Tensor nll(const Tensor& y) const;
  // p(k | x_b, y_b): [B, K], each row summing to 1.
  Tensor responsibilities(const Tensor& y) const;

  // The same mixtures cut off from the tape.
  Mixture detach() const;
};

// log p(y_b) of diagonal Gaussian mixtures (scale [B, K, D] or [B, K, 1]) as one op: [B].
Tensor diagonal_mixture_log_prob(const Tensor& log_pi, const Tensor& mean, const Tensor& scale,
                                 const Tensor& y);

} // namespace tapegrad::mdn

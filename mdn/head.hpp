#pragma once
// MixtureDensityHead: features -> Mixture. Per input row it emits K mixing logits, K x D means and
// the scale parameters of the chosen noise model, each from its own linear layer:
//
//   log pi = log_softmax(pi(h))                       mu = mu(h) viewed as [K, D]
//   scale  = softplus(sigma(h)) + min_scale            (diagonal: K x D, isotropic: K)
//   full:    L = diag(softplus(sigma(h)) + min_scale) + strictly lower part tril(h)
//   fixed:   scale = fixed_scale, not learned
//
// Scales are positive by construction, and never below min_scale (1e-3 by default, in the units
// of y: standardise y first). The floor keeps the log-likelihood bounded when a component would
// otherwise collapse onto a single point.
#include "autograd/generator.hpp"
#include "mdn/mixture.hpp"
#include "nn/linear.hpp"

#include <memory>
#include <vector>

namespace tapegrad::mdn {

struct HeadOptions {
  std::int64_t in_features = 0;
  std::int64_t out_dim = 1;    // D
  std::int64_t components = 5; // K
  NoiseModel noise = NoiseModel::Diagonal;
  double fixed_scale = 1.0; // the scale of every component under NoiseModel::Fixed
  double min_scale = 1e-3;  // the floor under every learned scale
};

class MixtureDensityHead : public nn::Module {
public:
  MixtureDensityHead(const HeadOptions& options, Generator& gen, DType dtype = kFloat32);

  // features [B, in_features] -> the B mixtures.
  Mixture mixture(const Tensor& features) const;

  // mixture(features).nll(y), the training loss: for the diagonal, isotropic and fixed noise
  // models one fused record from the stacked layers' outputs to the loss (head_nll.hpp), without
  // building the Mixture; the same value and gradients as the composed ops.
  Tensor nll(const Tensor& features, const Tensor& y) const;

  // Data-driven start: the output biases put the component means at the quantiles of y [N, D]
  // (the k-th at the (k + 1/2)/K quantile of each coordinate), each scale at the standard
  // deviation of y divided by K, and the weights equal. The weights of the output layers are
  // scaled down by 10 (those of the mixing logits to 0) so that the biases decide the start.
  // Without it, all components start near 0 and training can collapse onto one of them.
  void init_from_targets(const Tensor& y);

  const HeadOptions& options() const { return options_; }
  std::string extra_repr() const override;

private:
  std::vector<nn::Linear*> output_layers() const; // pi, mu, then sigma and tril where learned
  void check_features(const Tensor& features) const;
  HeadOptions options_;
  std::shared_ptr<nn::Linear> pi_, mu_, sigma_, tril_; // sigma_ and tril_ only where learned
  Tensor diagonal_placement_;     // [D, D*D]: puts D values on a flattened diagonal (full only)
  Tensor off_diagonal_placement_; // [D(D-1)/2, D*D]: fills the strict lower triangle (full only)
};

} // namespace tapegrad::mdn

#pragma once
// The fused training loss behind MixtureDensityHead::nll (and so MDN::nll): the mean negative
// log-likelihood straight from the head's stacked linear outputs, in one record. The arithmetic
// and its backward are in kernels/head.hpp.
#include "autograd/tensor.hpp"
#include "mdn/noise_model.hpp"

#include <cstdint>

namespace tapegrad::mdn {

// outputs [B, K + K*D + S]: K mixing logits, K*D means and S scale pre-activations (K*D for
// diagonal, K for isotropic, none for fixed); y [B, D]. Returns -mean_b log p(y_b), a scalar, for
// scales softplus(u) + min_scale (fixed: fixed_scale). Not for NoiseModel::Full.
Tensor stacked_head_nll(const Tensor& outputs, const Tensor& y, std::int64_t components,
                        NoiseModel noise, double min_scale, double fixed_scale);

} // namespace tapegrad::mdn

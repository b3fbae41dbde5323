#include "mdn/mixture.hpp"

#include "autograd/ops.hpp"
#include "mdn/kernels/mixture.hpp"

namespace tapegrad::mdn {

namespace {

// The diagonal of each D x D matrix in [B, K, D, D]: [B, K, D].
Tensor diagonal_of(const Tensor& tril) {
  const std::int64_t d = tril.size(-1);
  std::vector<std::int64_t> positions;
  for (std::int64_t i = 0; i < d; ++i)
    positions.push_back(i * (d + 1));
  return tril.reshape({tril.size(0), tril.size(1), d * d})
      .index_select(2, from_vector(positions, {d}));
}

} // namespace

Mixture::Mixture(NoiseModel noise_model, Tensor log_pi_, Tensor mean_, Tensor scale_)
    : noise(noise_model), log_pi(std::move(log_pi_)), mean(std::move(mean_)),
      scale(std::move(scale_)) {
  if (mean.dim() != 3)
    fail("Mixture: means must have shape [batch, components, dim], got {}", mean.shape());
  const std::int64_t b = mean.size(0), k = mean.size(1), d = mean.size(2);
  if (!(log_pi.shape() == Shape{b, k}))
    fail("Mixture: log mixing weights have shape {}, expected [{}, {}] to match means {}",
         log_pi.shape(), b, k, mean.shape());
  Shape expected;
  switch (noise) {
  case NoiseModel::Full:
    expected = {b, k, d, d};
    break;
  case NoiseModel::Diagonal:
    expected = {b, k, d};
    break;
  case NoiseModel::Isotropic:
  case NoiseModel::Fixed:
    expected = {b, k, 1};
    break;
  }
  if (!(scale.shape() == expected))
    fail("Mixture: {} scales have shape {}, expected {}", noise_model_name(noise), scale.shape(),
         expected);
  if (log_pi.dtype() != mean.dtype() || scale.dtype() != mean.dtype() || !is_floating(mean.dtype()))
    fail("Mixture: log_pi, mean and scale must share one floating dtype, got {}, {} and {}",
         log_pi.dtype(), mean.dtype(), scale.dtype());
}

Tensor Mixture::component_log_prob(const Tensor& y) const {
  if (!(y.shape() == Shape{batch_size(), dim()}))
    fail("Mixture: targets have shape {}, expected [{}, {}] (one row of dimension {} per mixture)",
         y.shape(), batch_size(), dim(), dim());
  if (y.dtype() != mean.dtype())
    fail("Mixture: targets are {}, the mixture is {}; convert with .to()", y.dtype(), mean.dtype());
  const Tensor diff = y.unsqueeze(1) - mean; // [B, K, D]
  Tensor z, log_det;                         // L^-1 (y - mu): [B, K, D]; sum_d log L_dd: [B, K]
  if (noise == NoiseModel::Full) {
    z = solve_triangular(scale, diff.unsqueeze(-1)).squeeze(-1);
    log_det = log(diagonal_of(scale)).sum(2);
  } else {
    z = diff / scale; // [B, K, 1] scales broadcast over the D coordinates
    log_det = noise == NoiseModel::Diagonal ? log(scale).sum(2)
                                            : log(scale).squeeze(2) * static_cast<double>(dim());
  }
  // The Gaussian's energy (kernels/gaussian.hpp), summed over the coordinates, then its normaliser.
  return -(square(z).sum(2) * 0.5 + log_det) - kernels::gaussian_log_normalizer(dim());
}

// y_b = logsumexp_k(log_pi_bk + log N(y_b | mu_bk, diag(s_bk)^2)) in one record, for scales of
// shape [B, K, D] or [B, K, 1]: the composition in Mixture::log_prob_composed with its dozen
// records, fused (mdn/kernels/mixture.hpp). With r_k the responsibility of component k and
// z = (y - mu) / s:  dL/dlog_pi_k = dL/dy r_k,  dL/dmu = dL/dy r_k z / s,
// dL/ds = dL/dy r_k (z^2 - 1) / s (summed over d for a shared scale), dL/dy_d = -sum_k dL/dmu_kd.
Tensor diagonal_mixture_log_prob(const Tensor& log_pi, const Tensor& mean, const Tensor& scale,
                                 const Tensor& y) {
  const std::int64_t b = mean.size(0), k = mean.size(1), d = mean.size(2);
  const kernels::MixtureView view{b, k, d, scale.size(2) == 1 && d != 1};
  if (!(y.shape() == Shape{b, d}) || !(log_pi.shape() == Shape{b, k}) ||
      !(scale.shape() == Shape{b, k, view.shared_scale ? 1 : d}))
    fail("diagonal_mixture_log_prob: shapes log_pi {}, mean {}, scale {}, y {} do not agree",
         log_pi.shape(), mean.shape(), scale.shape(), y.shape());
  Tensor joint = empty({b, k}, mean.dtype()), lse = empty({b}, mean.dtype());
  dispatch_floating(mean.dtype(), "diagonal_mixture_log_prob", [&]<class T>() {
    kernels::diagonal_mixture_forward(log_pi.data_ptr<T>(), mean.data_ptr<T>(), scale.data_ptr<T>(),
                                      y.data_ptr<T>(), joint.data_ptr<T>(), lse.data_ptr<T>(),
                                      view);
  });
  return record("diagonal_mixture_log_prob", lse, {log_pi, mean, scale, y},
                [log_pi, mean, scale, y, joint, lse, view](const Tensor& g) {
                  Tensor g_log_pi = empty_like(log_pi), g_mean = empty_like(mean),
                         g_scale = empty_like(scale);
                  Tensor g_y = y.requires_grad() ? zeros_like(y) : Tensor();
                  dispatch_floating(mean.dtype(), "diagonal_mixture_log_prob", [&]<class T>() {
                    kernels::diagonal_mixture_backward(
                        mean.data_ptr<T>(), scale.data_ptr<T>(), y.data_ptr<T>(),
                        joint.data_ptr<T>(), lse.data_ptr<T>(), g.data_ptr<T>(),
                        g_log_pi.data_ptr<T>(), g_mean.data_ptr<T>(), g_scale.data_ptr<T>(), view);
                    if (g_y.defined()) {
                      const T* gm = g_mean.data_ptr<T>();
                      T* gy = g_y.data_ptr<T>();
                      for (std::int64_t i = 0; i < view.batch; ++i)
                        for (std::int64_t c = 0; c < view.components; ++c)
                          for (std::int64_t j = 0; j < view.dim; ++j)
                            gy[i * view.dim + j] -= gm[(i * view.components + c) * view.dim + j];
                    }
                  });
                  accumulate_grad(log_pi, std::move(g_log_pi));
                  accumulate_grad(mean, std::move(g_mean));
                  accumulate_grad(scale, std::move(g_scale));
                  if (g_y.defined())
                    accumulate_grad(y, std::move(g_y));
                });
}

Tensor Mixture::log_prob_composed(const Tensor& y) const {
  return logsumexp(log_pi + component_log_prob(y), 1);
}

Tensor Mixture::log_prob(const Tensor& y) const {
  if (noise == NoiseModel::Full)
    return log_prob_composed(y);
  if (!(y.shape() == Shape{batch_size(), dim()}))
    fail("Mixture: targets have shape {}, expected [{}, {}] (one row of dimension {} per mixture)",
         y.shape(), batch_size(), dim(), dim());
  if (y.dtype() != mean.dtype())
    fail("Mixture: targets are {}, the mixture is {}; convert with .to()", y.dtype(), mean.dtype());
  return diagonal_mixture_log_prob(log_pi, mean, scale, y);
}

Tensor Mixture::nll(const Tensor& y) const {
  return -log_prob(y).mean();
}

Tensor Mixture::responsibilities(const Tensor& y) const {
  return softmax(log_pi + component_log_prob(y), 1);
}

Mixture Mixture::detach() const {
  return Mixture(noise, log_pi.detach(), mean.detach(), scale.detach());
}

} // namespace tapegrad::mdn

#pragma once
// For one-dimensional outputs (D = 1), where a mixture has a CDF:
//   cdf       F(y) = sum_k pi_k Phi((y - mu_k) / sigma_k)
//   quantile  F^-1(q), by bisection on the CDF
//   pit       F(y_observed): uniform on [0, 1] when the model is calibrated
//   crps      E|Y - y| - E|Y - Y'| / 2 in closed form for a Gaussian mixture (Grimit et al. 2006):
//             sum_k pi_k A(y - mu_k, sigma_k^2) - 1/2 sum_kl pi_k pi_l A(mu_k - mu_l, sigma_k^2 +
//             sigma_l^2) with A(m, s^2) = 2 s phi(m / s) + m (2 Phi(m / s) - 1)
#include "mdn/mixture.hpp"

namespace tapegrad::mdn {

Tensor cdf(const Mixture& mixture, const Tensor& y);  // y [B, 1] -> [B]
Tensor quantile(const Mixture& mixture, double q);    // q in (0, 1) -> [B]
Tensor pit(const Mixture& mixture, const Tensor& y);  // [B]
Tensor crps(const Mixture& mixture, const Tensor& y); // [B]

} // namespace tapegrad::mdn

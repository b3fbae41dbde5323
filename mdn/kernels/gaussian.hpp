#pragma once
// The Gaussian log-density, the one formula every mixture computation is built from:
//
//   log N(y | mu, diag(s)^2) = -sum_d q_d - (D/2) log(2 pi),   q_d = z_d^2 / 2 + log s_d,
//   z_d = (y_d - mu_d) / s_d
//
// (a full covariance with Cholesky factor L has z = L^-1 (y - mu) and log s_d = log L_dd). q is the
// per-coordinate "energy" and the second term the normaliser; the kernels sum q over coordinates
// before adding the normaliser once, so both are written here as separate pieces. V is a float, a
// double or an xsimd batch of either.
#include <cstdint>

namespace tapegrad::mdn {

inline constexpr double kLog2Pi = 1.8378770664093454836; // log(2 pi)

namespace kernels {

// q = z^2 / 2 + log s, given z and log s.
template <class V> V gaussian_energy(V z, V log_scale) {
  return V(0.5) * z * z + log_scale;
}

// (D/2) log(2 pi): what a D-dimensional Gaussian's log-density subtracts after the energies.
inline double gaussian_log_normalizer(std::int64_t dim) {
  return 0.5 * kLog2Pi * static_cast<double>(dim);
}

} // namespace kernels
} // namespace tapegrad::mdn

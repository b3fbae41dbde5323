#pragma once
// Graves's bivariate Gaussian (2013, eqs. 24-25) is the full noise model with D = 2. Graves's
// network emits two standard deviations and a correlation,
//
//   N(x | mu, s1, s2, rho) = exp(-Z / (2 (1 - rho^2))) / (2 pi s1 s2 sqrt(1 - rho^2)),
//   Z = (x1 - mu1)^2 / s1^2 + (x2 - mu2)^2 / s2^2 - 2 rho (x1 - mu1)(x2 - mu2) / (s1 s2),
//
// whose covariance [[s1^2, rho s1 s2], [rho s1 s2, s2^2]] has the Cholesky factor
//
//   L = [[s1, 0], [rho s2, s2 sqrt(1 - rho^2)]]       (L L^T is that covariance)
//
// and our head emits L directly (positive diagonal by softplus, free lower entry), which is the
// same family: any L with a positive diagonal gives s1 = L11, s2 = sqrt(L21^2 + L22^2) and
// rho = L21 / s2 in (-1, 1). The tests check that both densities agree.
#include "mdn/mixture.hpp"

#include <array>

namespace tapegrad::mdn {

struct Bivariate {
  double sigma1 = 1, sigma2 = 1, rho = 0;
};

// From the lower-triangular factor [[l11, 0], [l21, l22]] (l11, l22 > 0).
Bivariate bivariate_from_scale_tril(double l11, double l21, double l22);
// The factor of a bivariate Gaussian, row-major {l11, 0, l21, l22}; |rho| < 1.
std::array<double, 4> scale_tril_from_bivariate(const Bivariate& b);
// Graves's log-density, written as in his eqs. 24-25.
double graves_bivariate_log_density(double x1, double x2, double mu1, double mu2,
                                    const Bivariate& b);

// Every component's (s1, s2, rho) of a full-covariance mixture with D = 2: [B, K] each, float64.
struct BivariateParameters {
  Tensor sigma1, sigma2, rho;
};
BivariateParameters bivariate_parameters(const Mixture& mixture);

} // namespace tapegrad::mdn

#include "mdn/bivariate.hpp"

#include <cmath>
#include <numbers>

namespace tapegrad::mdn {

Bivariate bivariate_from_scale_tril(double l11, double l21, double l22) {
  if (!(l11 > 0) || !(l22 > 0) || !std::isfinite(l11) || !std::isfinite(l22) || !std::isfinite(l21))
    fail("bivariate_from_scale_tril: expected a finite factor with a positive diagonal, got "
         "l11 = {}, l21 = {}, l22 = {}",
         l11, l21, l22);
  const double sigma2 = std::hypot(l21, l22);
  return {l11, sigma2, l21 / sigma2};
}

std::array<double, 4> scale_tril_from_bivariate(const Bivariate& b) {
  if (!(b.sigma1 > 0) || !(b.sigma2 > 0) || !(std::abs(b.rho) < 1))
    fail("scale_tril_from_bivariate: expected positive standard deviations and |rho| < 1, got "
         "s1 = {}, s2 = {}, rho = {}",
         b.sigma1, b.sigma2, b.rho);
  return {b.sigma1, 0.0, b.rho * b.sigma2, b.sigma2 * std::sqrt(1 - b.rho * b.rho)};
}

double graves_bivariate_log_density(double x1, double x2, double mu1, double mu2,
                                    const Bivariate& b) {
  const double d1 = (x1 - mu1) / b.sigma1, d2 = (x2 - mu2) / b.sigma2;
  const double one_minus_rho2 = 1 - b.rho * b.rho;
  const double z = d1 * d1 + d2 * d2 - 2 * b.rho * d1 * d2;
  return -z / (2 * one_minus_rho2) -
         std::log(2 * std::numbers::pi * b.sigma1 * b.sigma2 * std::sqrt(one_minus_rho2));
}

BivariateParameters bivariate_parameters(const Mixture& mixture) {
  if (mixture.noise != NoiseModel::Full || mixture.dim() != 2)
    fail("bivariate_parameters: expected a full-covariance mixture of dimension 2, got a {} one "
         "of dimension {}",
         noise_model_name(mixture.noise), mixture.dim());
  const std::int64_t rows = mixture.batch_size() * mixture.num_components();
  const std::vector<double> l = mixture.scale.to_vector<double>();
  std::vector<double> s1(static_cast<std::size_t>(rows)), s2(s1.size()), rho(s1.size());
  for (std::size_t i = 0; i < s1.size(); ++i) {
    const Bivariate b = bivariate_from_scale_tril(l[4 * i], l[4 * i + 2], l[4 * i + 3]);
    s1[i] = b.sigma1;
    s2[i] = b.sigma2;
    rho[i] = b.rho;
  }
  const Shape shape{mixture.batch_size(), mixture.num_components()};
  return {from_vector(s1, shape), from_vector(s2, shape), from_vector(rho, shape)};
}

} // namespace tapegrad::mdn

// Graves's bivariate Gaussian (s1, s2, rho) is the full noise model with D = 2: the factor maps
// there and back, and the mixture's log-density equals Graves's formula written out.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <cmath>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;

TEST_CASE("a bivariate Gaussian's factor maps to (s1, s2, rho) and back", "[mdn][bivariate]") {
  for (const Bivariate b : {Bivariate{0.5, 2.0, 0.0}, Bivariate{1.3, 0.2, 0.9},
                            Bivariate{0.01, 7.0, -0.99}, Bivariate{3.0, 3.0, -0.3}}) {
    const std::array<double, 4> l = scale_tril_from_bivariate(b);
    CHECK(l[1] == 0.0);
    // L L^T is Graves's covariance.
    CHECK(l[0] * l[0] == Approx(b.sigma1 * b.sigma1));
    CHECK(l[2] * l[0] == Approx(b.rho * b.sigma1 * b.sigma2).margin(1e-15));
    CHECK(l[2] * l[2] + l[3] * l[3] == Approx(b.sigma2 * b.sigma2));
    const Bivariate back = bivariate_from_scale_tril(l[0], l[2], l[3]);
    CHECK(back.sigma1 == Approx(b.sigma1).epsilon(1e-14));
    CHECK(back.sigma2 == Approx(b.sigma2).epsilon(1e-14));
    CHECK(back.rho == Approx(b.rho).epsilon(1e-14).margin(1e-15));
  }
}

TEST_CASE("the full model's log-density with D = 2 is Graves's eqs. 24-25", "[mdn][bivariate]") {
  // Random factors with a positive diagonal: every one is some (s1, s2, rho).
  const Mixture m = test::random_mixture(NoiseModel::Full, 6, 3, 2, 41);
  Generator gen(42);
  const Tensor y = randn({6, 2}, gen, kFloat64) * 2.0;
  const std::vector<double> ours = m.log_prob(y).to_vector<double>();
  const BivariateParameters p = bivariate_parameters(m);
  const std::vector<double> log_pi = m.log_pi.to_vector<double>(),
                            mean = m.mean.to_vector<double>(), target = y.to_vector<double>(),
                            s1 = p.sigma1.to_vector<double>(), s2 = p.sigma2.to_vector<double>(),
                            rho = p.rho.to_vector<double>();
  for (std::size_t b = 0; b < 6; ++b) {
    double total = 0; // sum_k pi_k N_k, Graves's eq. 23
    for (std::size_t k = 0; k < 3; ++k) {
      const std::size_t c = b * 3 + k;
      total += std::exp(log_pi[c] + graves_bivariate_log_density(target[2 * b], target[2 * b + 1],
                                                                 mean[2 * c], mean[2 * c + 1],
                                                                 {s1[c], s2[c], rho[c]}));
    }
    CHECK(ours[b] == Approx(std::log(total)).epsilon(1e-12));
  }
}

TEST_CASE("bivariate conversions name what is out of range", "[mdn][bivariate]") {
  CHECK_THAT(error_of([] {
               scale_tril_from_bivariate({1.0, 1.0, 1.0});
             }),
             Contains("expected positive standard deviations and |rho| < 1, got s1 = 1, s2 = 1, "
                      "rho = 1"));
  CHECK_THAT(error_of([] { bivariate_from_scale_tril(0.0, 0.1, 1.0); }),
             Contains("expected a finite factor with a positive diagonal, got l11 = 0"));
  const Mixture diagonal = test::random_mixture(NoiseModel::Diagonal, 1, 1, 2, 1);
  CHECK_THAT(error_of([&] { bivariate_parameters(diagonal); }),
             Contains("expected a full-covariance mixture of dimension 2, got a diagonal one"));
}

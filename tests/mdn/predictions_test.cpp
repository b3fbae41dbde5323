// Mean, covariance, mode and the univariate quantities against brute-force numerical integration
// on a fine grid.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <cmath>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::all_noise_models;
using tapegrad::test::error_of;
using tapegrad::test::random_mixture;

namespace {

// A 1-D grid wide enough to hold all the mass of the test mixtures.
constexpr double kLo = -15, kHi = 15;
constexpr std::int64_t kPoints = 300001;
constexpr double kStep = (kHi - kLo) / (kPoints - 1);

std::vector<double> grid_density(const Mixture& m, std::int64_t row) {
  return density_grid(m, row, linspace(kLo, kHi, kPoints, kFloat64).reshape({kPoints, 1}))
      .to_vector<double>();
}

// The trapezoidal CDF at every grid point.
std::vector<double> grid_cdf(const std::vector<double>& density) {
  std::vector<double> f(density.size(), 0.0);
  for (std::size_t i = 1; i < density.size(); ++i)
    f[i] = f[i - 1] + 0.5 * kStep * (density[i - 1] + density[i]);
  return f;
}

double grid_x(std::size_t i) {
  return kLo + kStep * static_cast<double>(i);
}

} // namespace

TEST_CASE("mixture mean and the law of total variance, written out for two 1-D components",
          "[mdn][predict]") {
  // pi = (0.25, 0.75), mu = (-2, 2), sigma = (1, 0.5): mean 1, within 0.25 + 0.1875 = 0.4375,
  // between 0.25 * 9 + 0.75 * 1 = 3.
  const Mixture m(NoiseModel::Diagonal, log(from_vector<double>({0.25, 0.75}, {1, 2})),
                  from_vector<double>({-2.0, 2.0}, {1, 2, 1}),
                  from_vector<double>({1.0, 0.5}, {1, 2, 1}));
  CHECK(mixture_mean(m).item<double>() == Approx(1.0).epsilon(1e-14));
  const Covariance c = mixture_covariance(m);
  CHECK(c.within.item<double>() == Approx(0.4375).epsilon(1e-14));
  CHECK(c.between.item<double>() == Approx(3.0).epsilon(1e-14));
  CHECK(c.total.item<double>() == Approx(3.4375).epsilon(1e-14));
  CHECK(most_probable_mean(m).item<double>() == 2.0);
}

TEST_CASE("the within-component covariance of a full mixture is sum_k pi_k L_k L_k^T",
          "[mdn][predict]") {
  const Mixture m(NoiseModel::Full, log(from_vector<double>({0.5, 0.5}, {1, 2})),
                  zeros({1, 2, 2}, kFloat64),
                  from_vector<double>({2, 0, 0.5, 1, 1, 0, -1, 3}, {1, 2, 2, 2}));
  // L1 L1^T = [[4, 1], [1, 1.25]], L2 L2^T = [[1, -1], [-1, 10]]: the average is below.
  const std::vector<double> within = mixture_covariance(m).within.to_vector<double>();
  const std::vector<double> expected{2.5, 0.0, 0.0, 5.625};
  for (int i = 0; i < 4; ++i)
    CHECK(within[i] == Approx(expected[i]).margin(1e-14));
}

TEST_CASE("the mode is the highest point of the density on a fine grid", "[mdn][predict]") {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    const Mixture m = random_mixture(NoiseModel::Diagonal, 1, 4, 1, seed);
    const std::vector<double> density = grid_density(m, 0);
    const std::size_t top = static_cast<std::size_t>(
        std::max_element(density.begin(), density.end()) - density.begin());
    CHECK(mixture_mode(m).item<double>() == Approx(grid_x(top)).margin(2 * kStep));
  }
  // In 2-D with full covariances: no grid point is higher than the mode.
  const Mixture m = random_mixture(NoiseModel::Full, 1, 3, 2, 8);
  const Tensor mode = mixture_mode(m);
  const DenseMixture dense(m);
  const std::vector<double> y = mode.to_vector<double>();
  const double at_mode = dense.log_density(0, y.data());
  double best = -INFINITY;
  for (double a = -6; a <= 6; a += 0.01)
    for (double b = -6; b <= 6; b += 0.01) {
      const double point[2] = {a, b};
      best = std::max(best, dense.log_density(0, point));
    }
  CHECK(at_mode >= best - 1e-9);
  CHECK(at_mode == Approx(best).margin(1e-3));
}

TEST_CASE("CDF, PIT and quantiles agree with the integrated density", "[mdn][predict]") {
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    const Mixture m = random_mixture(noise, 1, 3, 1, 41);
    const std::vector<double> f = grid_cdf(grid_density(m, 0));
    CHECK(f.back() == Approx(1.0).margin(1e-8));
    for (std::size_t i : {100000u, 140000u, 150000u, 165000u, 200000u}) {
      const Tensor y = full({1, 1}, grid_x(i), kFloat64);
      CHECK(cdf(m, y).item<double>() == Approx(f[i]).margin(1e-8));
      CHECK(pit(m, y).item<double>() == Approx(f[i]).margin(1e-8));
    }
    for (double q : {0.05, 0.25, 0.5, 0.9, 0.99}) {
      const std::size_t i =
          static_cast<std::size_t>(std::lower_bound(f.begin(), f.end(), q) - f.begin());
      CHECK(quantile(m, q).item<double>() == Approx(grid_x(i)).margin(2 * kStep));
      CHECK(cdf(m, quantile(m, q).reshape({1, 1})).item<double>() == Approx(q).margin(1e-10));
    }
  }
}

TEST_CASE("CRPS in closed form equals the integral of (F(t) - 1{t >= y})^2", "[mdn][predict]") {
  for (std::uint64_t seed : {51u, 52u}) {
    const Mixture m = random_mixture(NoiseModel::Diagonal, 1, 3, 1, seed);
    const std::vector<double> f = grid_cdf(grid_density(m, 0));
    // y on a grid point, so that the jump of the step function falls between the two integrals.
    for (std::size_t at : {125000u, 151000u, 167000u}) {
      const double y = grid_x(at);
      double integral = 0;
      for (std::size_t i = 1; i < f.size(); ++i) {
        const double step = i <= at ? 0.0 : 1.0; // 1{t >= y} on the interval [x_(i-1), x_i]
        integral +=
            0.5 * kStep * ((f[i - 1] - step) * (f[i - 1] - step) + (f[i] - step) * (f[i] - step));
      }
      CHECK(crps(m, full({1, 1}, y, kFloat64)).item<double>() == Approx(integral).margin(1e-8));
    }
  }
}

TEST_CASE("metrics: NLL, errors of mean and mode, and for D = 1 CRPS and 90% coverage",
          "[mdn][predict]") {
  const Mixture one = random_mixture(NoiseModel::Diagonal, 200, 3, 1, 61);
  Generator gen(62);
  const Tensor y = sample(one, 1, gen).reshape({200, 1});
  const Metrics metrics = evaluate(one, y);
  CHECK(metrics.nll == Approx(one.nll(y).item<double>()).epsilon(1e-14));
  const std::vector<double> mean = mixture_mean(one).to_vector<double>(), t = y.to_vector<double>();
  double squared = 0;
  for (int i = 0; i < 200; ++i)
    squared += (mean[i] - t[i]) * (mean[i] - t[i]);
  CHECK(metrics.rmse == Approx(std::sqrt(squared / 200)).epsilon(1e-12));
  REQUIRE(metrics.crps.has_value());
  REQUIRE(metrics.coverage90.has_value());
  // Targets drawn from the model itself fall in its 90% interval about 90% of the time.
  CHECK(std::abs(*metrics.coverage90 - 0.9) < 4 * std::sqrt(0.09 / 200));
  const Mixture two = random_mixture(NoiseModel::Full, 10, 2, 2, 63);
  const Metrics metrics2 = evaluate(two, zeros({10, 2}, kFloat64));
  CHECK_FALSE(metrics2.crps.has_value());
  CHECK_FALSE(metrics2.coverage90.has_value());
}

TEST_CASE("univariate functions reject D > 1 and bad probabilities", "[mdn][predict]") {
  const Mixture two = random_mixture(NoiseModel::Diagonal, 2, 2, 2, 1);
  CHECK_THAT(error_of([&] {
               cdf(two, zeros({2, 2}, kFloat64));
             }),
             Contains("cdf: defined for one-dimensional outputs, this mixture has D = 2"));
  const Mixture one = random_mixture(NoiseModel::Diagonal, 2, 2, 1, 1);
  CHECK_THAT(error_of([&] { quantile(one, 1.5); }),
             Contains("expected a probability strictly between 0 and 1, got 1.5"));
  CHECK_THAT(error_of([&] {
               density_grid(one, 5, zeros({3, 1}, kFloat64));
             }),
             Contains("row 5 is out of range (the batch has 2 rows)"));
}

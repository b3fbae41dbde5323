// Samples reproduce the mixture's mean and variance, temperatures behave as the sampling post
// describes, and the same seed gives the same samples.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <cmath>

#include <omp.h>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::all_noise_models;
using tapegrad::test::error_of;
using tapegrad::test::random_mixture;

TEST_CASE("200,000 samples match the mixture's mean and variance within 4 standard errors",
          "[mdn][sampling]") {
  constexpr std::int64_t n = 200000;
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    const Mixture m = random_mixture(noise, 1, 3, 2, 21);
    Generator gen(22);
    const std::vector<double> s = sample(m, n, gen).to_vector<double>();
    const std::vector<double> mean = mixture_mean(m).to_vector<double>();
    const std::vector<double> cov = mixture_covariance(m).total.to_vector<double>();
    for (int i = 0; i < 2; ++i) {
      double sum = 0;
      for (std::int64_t j = 0; j < n; ++j)
        sum += s[j * 2 + i];
      const double sample_mean = sum / n;
      double m2 = 0, m4 = 0;
      for (std::int64_t j = 0; j < n; ++j) {
        const double c = s[j * 2 + i] - sample_mean;
        m2 += c * c;
        m4 += c * c * c * c;
      }
      m2 /= n;
      m4 /= n;
      const double variance = cov[i * 2 + i];
      CHECK(std::abs(sample_mean - mean[i]) < 4 * std::sqrt(variance / n));
      CHECK(std::abs(m2 - variance) < 4 * std::sqrt((m4 - m2 * m2) / n));
    }
  }
}

TEST_CASE("the same seed draws the same samples, another seed others", "[mdn][sampling]") {
  const Mixture m = random_mixture(NoiseModel::Full, 3, 4, 2, 5);
  Generator a(9), b(9), c(10);
  const std::vector<double> first = sample(m, 50, a).to_vector<double>();
  CHECK(first == sample(m, 50, b).to_vector<double>());
  CHECK(first != sample(m, 50, c).to_vector<double>());
  CHECK(sample(m, 50, a).shape() == Shape{3, 50, 2});
}

TEST_CASE("samples of many rows are centred on each row's mean and the same on 1 and 2 threads",
          "[mdn][sampling]") {
  // 3000 rows span several blocks of rows, each drawn from its own stream.
  constexpr std::int64_t rows = 3000, n = 20;
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    const Mixture m = random_mixture(noise, rows, 4, 2, 41);
    const std::vector<double> mean = mixture_mean(m).to_vector<double>();
    const std::vector<double> cov = mixture_covariance(m).total.to_vector<double>();
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    Generator one(42);
    const std::vector<double> s = sample(m, n, one).to_vector<double>();
    omp_set_num_threads(2);
    Generator two(42);
    CHECK(s == sample(m, n, two).to_vector<double>());
    omp_set_num_threads(threads);
    for (int i = 0; i < 2; ++i) {
      // The deviations from each row's mean are independent with the row's variance.
      double deviation = 0, variance = 0;
      for (std::int64_t b = 0; b < rows; ++b) {
        for (std::int64_t j = 0; j < n; ++j)
          deviation += s[(b * n + j) * 2 + i] - mean[b * 2 + i];
        variance += n * cov[(b * 2 + i) * 2 + i];
      }
      CHECK(std::abs(deviation) < 4 * std::sqrt(variance));
    }
  }
}

TEST_CASE("temperatures near 0 sample the most probable component's mean", "[mdn][sampling]") {
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    const Mixture m = random_mixture(noise, 4, 5, 2, 31);
    const std::vector<double> target = most_probable_mean(m).to_vector<double>();
    Generator gen(32);
    const std::vector<double> exact = sample(m, 20, gen, {0.0, 0.0}).to_vector<double>();
    const std::vector<double> cold = sample(m, 20, gen, {1e-3, 1e-6}).to_vector<double>();
    for (std::int64_t b = 0; b < 4; ++b)
      for (std::int64_t s = 0; s < 20; ++s)
        for (std::int64_t i = 0; i < 2; ++i) {
          CHECK(exact[(b * 20 + s) * 2 + i] == target[b * 2 + i]);
          CHECK(cold[(b * 20 + s) * 2 + i] == Approx(target[b * 2 + i]).margin(1e-2));
        }
  }
}

TEST_CASE("a high temperature on the weights evens out the components", "[mdn][sampling]") {
  // Weights 0.9 / 0.1; at tau = 1e6 each is drawn about half the time. The means are far apart and
  // the scales tiny, so the component of each sample is read off its sign.
  const Mixture m(NoiseModel::Isotropic, log(from_vector<double>({0.9, 0.1}, {1, 2})),
                  from_vector<double>({-10.0, 10.0}, {1, 2, 1}), full({1, 2, 1}, 1e-3, kFloat64));
  Generator gen(3);
  constexpr std::int64_t n = 20000;
  const auto share_positive = [&](double tau) {
    double positive = 0;
    for (double v : sample(m, n, gen, {tau, 1.0}).to_vector<double>())
      positive += v > 0;
    return positive / n;
  };
  CHECK(std::abs(share_positive(1.0) - 0.1) < 4 * std::sqrt(0.09 / n));
  CHECK(std::abs(share_positive(1e6) - 0.5) < 4 * std::sqrt(0.25 / n));
}

TEST_CASE("the sigma temperature multiplies each component's variance", "[mdn][sampling]") {
  const Mixture m(NoiseModel::Diagonal, zeros({1, 1}, kFloat64), full({1, 1, 1}, 2.0, kFloat64),
                  full({1, 1, 1}, 0.5, kFloat64));
  Generator gen(4);
  constexpr std::int64_t n = 100000;
  double sum = 0, squares = 0;
  for (double v : sample(m, n, gen, {1.0, 4.0}).to_vector<double>()) {
    sum += v;
    squares += (v - 2.0) * (v - 2.0);
  }
  // Variance 4 * 0.25 = 1; the standard error of a sample variance of a Gaussian is sqrt(2/n).
  CHECK(std::abs(squares / n - 1.0) < 4 * std::sqrt(2.0 / n));
  CHECK(std::abs(sum / n - 2.0) < 4 * std::sqrt(1.0 / n));
}

TEST_CASE("sample rejects negative temperatures and counts", "[mdn][sampling]") {
  const Mixture m = random_mixture(NoiseModel::Diagonal, 1, 2, 1, 1);
  Generator gen(1);
  CHECK_THAT(error_of([&] {
               sample(m, 5, gen, {-1.0, 1.0});
             }),
             Contains("the temperature must be a finite number >= 0, got -1"));
  CHECK_THAT(error_of([&] {
               sample(m, 5, gen, {1.0, -0.5});
             }),
             Contains("the sigma temperature must be a finite number >= 0, got -0.5"));
  CHECK_THAT(error_of([&] { sample(m, -1, gen); }),
             Contains("expected a non-negative number of samples, got -1"));
}

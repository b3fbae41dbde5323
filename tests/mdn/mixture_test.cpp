// Mixture::log_prob and nll against closed-form values written out here, K = 1 against the
// Gaussian log-density for every noise model, gradcheck of nll, and stability at extreme inputs.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <cmath>
#include <numbers>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::all_noise_models;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::random_mixture;

namespace {

// A one-component, one-dimensional mixture N(mu, sigma^2) in each noise model's own form.
Mixture single_gaussian(NoiseModel noise, double mu, double sigma) {
  const Tensor log_pi = zeros({1, 1}, kFloat64);
  const Tensor mean = full({1, 1, 1}, mu, kFloat64);
  const Tensor scale =
      full(noise == NoiseModel::Full ? Shape{1, 1, 1, 1} : Shape{1, 1, 1}, sigma, kFloat64);
  return Mixture(noise, log_pi, mean, scale);
}

double gaussian_log_density(double y, double mu, double sigma) {
  return -0.5 * std::pow((y - mu) / sigma, 2) - std::log(sigma) -
         0.5 * std::log(2 * std::numbers::pi);
}

} // namespace

TEST_CASE_METHOD(FreshTape, "log_prob of N(0, 1) at 0 is -0.918938533 nats in every noise model",
                 "[mdn]") {
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    const Mixture m = single_gaussian(noise, 0.0, 1.0);
    CHECK(m.log_prob(zeros({1, 1}, kFloat64)).item<double>() == Approx(-0.918938533).epsilon(1e-9));
    CHECK(m.nll(zeros({1, 1}, kFloat64)).item<double>() == Approx(0.918938533).epsilon(1e-9));
  }
}

TEST_CASE_METHOD(FreshTape, "log_prob of a two-component 1-D mixture matches the value written out",
                 "[mdn]") {
  // 0.3 N(0.4 | -1, 0.5^2) + 0.7 N(0.4 | 2, 1.5^2), computed independently: log p =
  // -2.205894740904186
  const Mixture m(NoiseModel::Diagonal, log(from_vector<double>({0.3, 0.7}, {1, 2})),
                  from_vector<double>({-1.0, 2.0}, {1, 2, 1}),
                  from_vector<double>({0.5, 1.5}, {1, 2, 1}));
  CHECK(m.log_prob(full({1, 1}, 0.4, kFloat64)).item<double>() ==
        Approx(-2.205894740904186).epsilon(1e-12));
}

TEST_CASE_METHOD(FreshTape,
                 "log_prob of a 2-D full-covariance component matches the value written out",
                 "[mdn]") {
  // L = [[2, 0], [0.5, 1]] so Sigma = [[4, 1], [1, 1.25]], det 4; mu = (1, -1), y = (0.5, 0.3):
  // -(1/2) r^T Sigma^-1 r - (1/2) log det Sigma - log 2 pi = -3.5775867469692906
  const Mixture m(
      NoiseModel::Full, zeros({1, 1}, kFloat64), from_vector<double>({1, -1}, {1, 1, 2}),
      from_vector<double>({2, 77, 0.5, 1}, {1, 1, 2, 2})); // 77: above the diagonal, ignored
  CHECK(m.log_prob(from_vector<double>({0.5, 0.3}, {1, 2})).item<double>() ==
        Approx(-3.5775867469692906).epsilon(1e-12));
}

TEST_CASE_METHOD(FreshTape, "with K = 1 every noise model reduces to the Gaussian log-density",
                 "[mdn]") {
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    const Mixture m = random_mixture(noise, 4, 1, 3, 11);
    Generator gen(12);
    const Tensor y = randn({4, 3}, gen, kFloat64);
    const std::vector<double> mean = m.mean.to_vector<double>(),
                              scale = m.scale.to_vector<double>(), target = y.to_vector<double>(),
                              got = m.log_prob(y).to_vector<double>();
    for (std::int64_t b = 0; b < 4; ++b) {
      double expected = 0;
      if (noise == NoiseModel::Full) { // sum of independent 1-D terms after whitening by L
        std::vector<double> z(3);
        for (int i = 0; i < 3; ++i) {
          double r = target[b * 3 + i] - mean[b * 3 + i];
          for (int j = 0; j < i; ++j)
            r -= scale[(b * 3 + i) * 3 + j] * z[j];
          const double lii = scale[(b * 3 + i) * 3 + i];
          z[i] = r / lii;
          expected += gaussian_log_density(z[i], 0, 1) - std::log(lii);
        }
      } else {
        for (int i = 0; i < 3; ++i) {
          const double sigma = noise == NoiseModel::Diagonal ? scale[b * 3 + i] : scale[b];
          expected += gaussian_log_density(target[b * 3 + i], mean[b * 3 + i], sigma);
        }
      }
      CHECK(got[b] == Approx(expected).epsilon(1e-12));
    }
  }
}

TEST_CASE_METHOD(FreshTape, "nll passes gradcheck for every noise model, D in {1, 3}, K in {1, 4}",
                 "[mdn]") {
  for (NoiseModel noise : all_noise_models())
    for (std::int64_t d : {1, 3})
      for (std::int64_t k : {1, 4}) {
        INFO(noise_model_name(noise) << " D=" << d << " K=" << k);
        const Mixture m = random_mixture(noise, 3, k, d, static_cast<std::uint64_t>(d * 10 + k));
        Generator gen(5);
        const Tensor y = randn({3, d}, gen, kFloat64);
        Tensor logits = (m.log_pi * 1.0).detach().requires_grad_();
        Tensor mean = m.mean.detach().requires_grad_();
        Tensor scale = m.scale.detach().clone().requires_grad_();
        if (noise == NoiseModel::Fixed)
          scale.requires_grad_(false); // a constant, not learned
        const auto result = gradcheck(
            [noise](const std::vector<Tensor>& in) {
              return Mixture(noise, log_softmax(in[0], 1), in[1], in[2]).nll(in[3]);
            },
            {logits, mean, scale, y});
        INFO(result.message);
        CHECK(result.passed);
      }
}

TEST_CASE_METHOD(FreshTape, "nll and its gradients stay finite for logits of +-1e4 and far targets",
                 "[mdn]") {
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    const Mixture base = random_mixture(noise, 2, 3, 2, 3);
    Tensor logits = from_vector<double>({1e4, -1e4, 0, -1e4, 1e4, 1e4}, {2, 3}).requires_grad_();
    Tensor mean = base.mean.detach().requires_grad_();
    const Mixture m(noise, log_softmax(logits, 1), mean, base.scale);
    const Tensor loss = m.nll(full({2, 2}, 1e3, kFloat64));
    loss.backward();
    CHECK(std::isfinite(loss.item<double>()));
    CHECK(loss.item<double>() > 1e4); // far from every mean: a large but finite loss
    for (double g : logits.grad().to_vector<double>())
      CHECK(std::isfinite(g));
    for (double g : mean.grad().to_vector<double>())
      CHECK(std::isfinite(g));
    clear_tape();
  }
}

TEST_CASE_METHOD(FreshTape, "responsibilities sum to 1 and favour the component that explains y",
                 "[mdn]") {
  const Mixture m(NoiseModel::Isotropic, log(from_vector<double>({0.5, 0.5}, {1, 2})),
                  from_vector<double>({-5.0, 5.0}, {1, 2, 1}), full({1, 2, 1}, 1.0, kFloat64));
  const std::vector<double> r = m.responsibilities(full({1, 1}, 4.0, kFloat64)).to_vector<double>();
  CHECK(r[0] + r[1] == Approx(1.0).epsilon(1e-12));
  // The ratio of the two component densities at y = 4: exp(-(81 - 1) / 2) = exp(-40).
  CHECK(r[0] / r[1] == Approx(std::exp(-40.0)).epsilon(1e-9));
}

TEST_CASE_METHOD(FreshTape, "Mixture and noise models reject bad shapes and names", "[mdn]") {
  CHECK_THAT(
      error_of([] { parse_noise_model("spherical"); }),
      Contains("unknown noise model 'spherical' (expected full, diagonal, isotropic or fixed)"));
  CHECK(parse_noise_model("full") == NoiseModel::Full);
  CHECK_THAT(error_of([] {
               Mixture(NoiseModel::Diagonal, zeros({2, 3}), zeros({2, 3, 1}), zeros({2, 3, 2}));
             }),
             Contains("diagonal scales have shape [2, 3, 2], expected [2, 3, 1]"));
  CHECK_THAT(error_of([] {
               Mixture(NoiseModel::Full, zeros({2, 2}), zeros({2, 3, 1}), zeros({2, 3, 1, 1}));
             }),
             Contains("log mixing weights have shape [2, 2], expected [2, 3]"));
  const Mixture m = random_mixture(NoiseModel::Diagonal, 2, 3, 2, 1);
  CHECK_THAT(error_of([&] {
               m.log_prob(zeros({2, 3}, kFloat64));
             }),
             Contains("targets have shape [2, 3], expected [2, 2]"));
}

TEST_CASE_METHOD(FreshTape,
                 "the fused diagonal log_prob equals the composed ops in value and gradient",
                 "[mdn]") {
  for (NoiseModel noise : {NoiseModel::Diagonal, NoiseModel::Isotropic, NoiseModel::Fixed})
    for (std::int64_t d : {1, 3})
      for (std::int64_t k : {1, 4, 20}) {
        INFO(noise_model_name(noise) << " D=" << d << " K=" << k);
        const Mixture m = random_mixture(noise, 5, k, d, static_cast<std::uint64_t>(d * 7 + k));
        Generator gen(11);
        const Tensor weights = randn({5}, gen, kFloat64);
        std::vector<std::vector<double>> grads[2];
        std::vector<double> values[2];
        for (int fused = 0; fused < 2; ++fused) {
          Tensor log_pi = m.log_pi.detach().requires_grad_();
          Tensor mean = m.mean.detach().requires_grad_();
          Tensor scale = m.scale.detach().clone().requires_grad_();
          Generator gy(12);
          Tensor y = randn({5, d}, gy, kFloat64).requires_grad_();
          const Mixture mixture(noise, log_pi, mean, scale);
          const Tensor lp = fused ? mixture.log_prob(y) : mixture.log_prob_composed(y);
          values[fused] = lp.to_vector<double>();
          (lp * weights).sum().backward();
          for (const Tensor& t : {log_pi, mean, scale, y})
            grads[fused].push_back(t.grad().to_vector<double>());
          clear_tape();
        }
        REQUIRE(values[0].size() == values[1].size());
        for (std::size_t i = 0; i < values[0].size(); ++i)
          CHECK(values[1][i] == Approx(values[0][i]).epsilon(1e-12).margin(1e-12));
        for (std::size_t t = 0; t < grads[0].size(); ++t)
          for (std::size_t i = 0; i < grads[0][t].size(); ++i) {
            INFO("input " << t << ", element " << i);
            CHECK(grads[1][t][i] == Approx(grads[0][t][i]).epsilon(1e-10).margin(1e-12));
          }
      }
}

TEST_CASE_METHOD(FreshTape, "diagonal_mixture_log_prob passes gradcheck in every input", "[mdn]") {
  for (bool shared : {false, true})
    for (std::int64_t k : {1, 3, 17}) {
      INFO("shared " << shared << " K=" << k);
      const std::int64_t d = 2;
      const Mixture m = random_mixture(shared ? NoiseModel::Isotropic : NoiseModel::Diagonal, 3, k,
                                       d, static_cast<std::uint64_t>(k));
      Generator gen(21);
      const Tensor y = randn({3, d}, gen, kFloat64).requires_grad_();
      const Tensor weights = randn({3}, gen, kFloat64);
      const auto result = gradcheck(
          [&](const std::vector<Tensor>& in) {
            return (diagonal_mixture_log_prob(in[0], in[1], in[2], in[3]) * weights).sum();
          },
          {m.log_pi.detach().requires_grad_(), m.mean.detach().requires_grad_(),
           m.scale.detach().clone().requires_grad_(), y});
      INFO(result.message);
      CHECK(result.passed);
    }
}

TEST_CASE_METHOD(FreshTape,
                 "diagonal_mixture_log_prob given a target of another dtype names the op and "
                 "both dtypes",
                 "[mdn][mixture]") {
  const Mixture m = random_mixture(NoiseModel::Diagonal, 3, 2, 2, 7); // float64
  const Tensor y = zeros({3, 2}, kFloat32);
  CHECK_THAT(error_of([&] { diagonal_mixture_log_prob(m.log_pi, m.mean, m.scale, y); }),
             Contains("diagonal_mixture_log_prob") && Contains("float64") && Contains("float32"));
}

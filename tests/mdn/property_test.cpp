// Properties of the mixture head and its log-likelihood over seeded random shapes and data, for
// every noise model: the loss and all its gradients are finite, also for extreme but valid inputs
// (targets far from every mean, scales at the min_scale floor, mixing logits hundreds apart), and a
// mixture of K identical components has the log-density of one of them, whatever its weights.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <cmath>

using namespace tapegrad;
using namespace tapegrad::mdn;
using tapegrad::test::all_noise_models;
using tapegrad::test::FreshTape;
using tapegrad::test::random_mixture;

namespace {

// An integer in [lo, hi].
std::int64_t draw(Generator& gen, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(gen.uniform() * static_cast<double>(hi - lo + 1));
}

bool all_finite(const Tensor& t) {
  for (double v : t.to_vector<double>())
    if (!std::isfinite(v))
      return false;
  return true;
}

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "the head's nll and all its gradients stay finite for random shapes and data, "
                 "far targets, scales at the floor and very unequal logits",
                 "[mdn][property]") {
  Generator gen(20261202);
  // Feature magnitudes of 100 and 1000 drive the head's raw outputs to hundreds: logits that far
  // apart, softplus of a large negative number (every scale at min_scale) and large means.
  const double feature_scales[] = {1.0, 100.0, 1000.0};
  const double target_scales[] = {1.0, 1e4};
  for (int trial = 0; trial < 6; ++trial) {
    const std::int64_t b = draw(gen, 1, 5), k = draw(gen, 1, 5), d = draw(gen, 1, 4),
                       in = draw(gen, 1, 4);
    for (DType dtype : {kFloat64, kFloat32})
      for (NoiseModel noise : all_noise_models())
        for (double feature_scale : feature_scales)
          for (double target_scale : target_scales) {
            INFO("B " << b << ", K " << k << ", D " << d << ", in " << in << ", "
                      << (dtype == kFloat64 ? "float64" : "float32") << ", "
                      << noise_model_name(noise) << ", features x" << feature_scale << ", targets x"
                      << target_scale);
            clear_tape();
            HeadOptions options;
            options.in_features = in;
            options.out_dim = d;
            options.components = k;
            options.noise = noise;
            options.fixed_scale = 0.05 + gen.uniform();
            options.min_scale = 1e-3;
            MixtureDensityHead head(options, gen, dtype);
            Tensor features, y;
            {
              NoGradGuard no_grad;
              features = randn({b, in}, gen, dtype) * feature_scale;
              y = randn({b, d}, gen, dtype) * target_scale;
            }
            features.requires_grad_();

            const Tensor loss = head.mixture(features).nll(y);
            loss.backward();
            REQUIRE(std::isfinite(loss.item<double>()));
            REQUIRE(features.grad().defined());
            CHECK(all_finite(features.grad()));
            for (const auto& [name, parameter] : head.named_parameters()) {
              INFO("parameter " << name);
              REQUIRE(parameter.grad().defined());
              CHECK(all_finite(parameter.grad()));
            }
          }
  }
}

TEST_CASE_METHOD(FreshTape,
                 "K identical components have the log-density of one, whatever the mixing "
                 "weights, in every noise model",
                 "[mdn][property]") {
  Generator gen(7);
  for (int trial = 0; trial < 10; ++trial) {
    const std::int64_t b = draw(gen, 1, 6), k = draw(gen, 2, 6), d = draw(gen, 1, 4);
    // Mixing logits of ordinary size, then some hundreds apart.
    const double logit_scale = trial % 2 == 0 ? 1.0 : 300.0;
    for (NoiseModel noise : all_noise_models()) {
      INFO("B " << b << ", K " << k << ", D " << d << ", " << noise_model_name(noise)
                << ", logits x" << logit_scale);
      const Mixture one = random_mixture(noise, b, 1, d, 1000 + static_cast<std::uint64_t>(trial));
      const std::vector<Tensor> copies_of_mean(static_cast<std::size_t>(k), one.mean),
          copies_of_scale(static_cast<std::size_t>(k), one.scale);
      const Tensor log_pi = log_softmax(randn({b, k}, gen, kFloat64) * logit_scale, 1);
      const Mixture many(noise, log_pi, cat(copies_of_mean, 1), cat(copies_of_scale, 1));
      const Tensor y = randn({b, d}, gen, kFloat64) * 3.0;

      const std::vector<double> expected = one.log_prob(y).to_vector<double>(),
                                got = many.log_prob(y).to_vector<double>();
      REQUIRE(got.size() == expected.size());
      for (std::size_t i = 0; i < got.size(); ++i)
        CHECK(got[i] == Approx(expected[i]).epsilon(1e-12).margin(1e-12));
    }
  }
}

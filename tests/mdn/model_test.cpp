// The head and the MDN module: shapes for every noise model, gradcheck through parameters,
// positive scales with their floor, data-driven initialisation, training with early stopping,
// model-order selection, and bad arguments.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <nn/nn.hpp>

#include <cmath>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::all_noise_models;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;

TEST_CASE_METHOD(FreshTape, "the head gives mixtures of the right shapes for every noise model",
                 "[mdn][model]") {
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    Generator gen(1);
    MDN model({.in_features = 2, .out_dim = 3, .components = 4, .hidden = {8}, .noise = noise},
              gen);
    const Mixture m = model.mixture(randn({5, 2}, gen));
    CHECK(m.log_pi.shape() == Shape{5, 4});
    CHECK(m.mean.shape() == Shape{5, 4, 3});
    const Shape scale = noise == NoiseModel::Full       ? Shape{5, 4, 3, 3}
                        : noise == NoiseModel::Diagonal ? Shape{5, 4, 3}
                                                        : Shape{5, 4, 1};
    CHECK(m.scale.shape() == scale);
    if (noise == NoiseModel::Full) { // lower-triangular with a positive diagonal
      const std::vector<double> l = m.scale.to_vector<double>();
      for (std::int64_t c = 0; c < 20; ++c)
        for (int i = 0; i < 3; ++i) {
          CHECK(l[(c * 3 + i) * 3 + i] > 1e-3);
          for (int j = i + 1; j < 3; ++j)
            CHECK(l[(c * 3 + i) * 3 + j] == 0.0);
        }
    }
  }
}

TEST_CASE_METHOD(FreshTape, "scales never fall below the documented floor", "[mdn][model]") {
  Generator gen(2);
  MixtureDensityHead head({.in_features = 1, .out_dim = 1, .components = 2, .min_scale = 0.05},
                          gen);
  // Huge negative pre-activations drive softplus to 0: the scale stops at min_scale.
  const Mixture m = head.mixture(full({3, 1}, -1e4));
  for (double s : m.scale.to_vector<double>())
    CHECK(s >= 0.05);
  CHECK(std::isfinite(m.nll(zeros({3, 1})).item<double>()));
}

TEST_CASE_METHOD(FreshTape, "nll passes gradcheck through every parameter of the MDN",
                 "[mdn][model]") {
  for (NoiseModel noise : all_noise_models()) {
    INFO(noise_model_name(noise));
    Generator gen(3);
    MDN model({.in_features = 2, .out_dim = 2, .components = 2, .hidden = {3}, .noise = noise}, gen,
              kFloat64);
    const Tensor x = randn({3, 2}, gen, kFloat64).requires_grad_();
    const Tensor y = randn({3, 2}, gen, kFloat64);
    const auto result =
        nn::gradcheck_module(model, {x, y}, [](nn::Module& m, const std::vector<Tensor>& in) {
          return static_cast<MDN&>(m).nll(in[0], in[1]);
        });
    INFO(result.message);
    CHECK(result.passed);
  }
}

TEST_CASE_METHOD(FreshTape, "init_from_targets spreads the means over the quantiles of y",
                 "[mdn][model]") {
  Generator gen(4);
  MDN model({.in_features = 1, .out_dim = 1, .components = 4, .hidden = {8}}, gen);
  const Tensor y = arange(0, 1000).reshape({1000, 1}) / 1000.0; // uniform on [0, 1)
  model.head().init_from_targets(y);
  NoGradGuard no_grad;
  const Mixture m = model.mixture(zeros({1, 1}));
  const std::vector<double> means = m.mean.to_vector<double>(),
                            log_pi = m.log_pi.to_vector<double>();
  const double weight_spread = 0.1; // the mean layer's weights are scaled down: the biases dominate
  for (int k = 0; k < 4; ++k) {
    CHECK(means[k] == Approx((k + 0.5) / 4).margin(weight_spread));
    CHECK(log_pi[k] == Approx(std::log(0.25)).margin(1e-5));
  }
  // Each scale starts at the spread of y over K: 0.2887 / 4.
  for (double s : m.scale.to_vector<double>())
    CHECK(s == Approx(0.2887 / 4).margin(0.05));
}

TEST_CASE_METHOD(FreshTape,
                 "train keeps the epoch with the best validation NLL and stops on patience",
                 "[mdn][model]") {
  Generator gen(5);
  const Tensor x = randn({200, 1}, gen), y = x * 2.0 + randn({200, 1}, gen) * 0.1;
  const Tensor xv = randn({100, 1}, gen), yv = xv * 2.0 + randn({100, 1}, gen) * 0.1;
  MDN model({.in_features = 1, .out_dim = 1, .components = 2, .hidden = {8}}, gen);
  std::vector<EpochReport> seen;
  const TrainResult result = train(model, x, y, xv, yv,
                                   {.epochs = 400,
                                    .batch_size = 50,
                                    .lr = 0.05,
                                    .patience = 5,
                                    .seed = 1,
                                    .on_epoch = [&](const EpochReport& r) { seen.push_back(r); }});
  REQUIRE(seen.size() == result.history.size());
  CHECK(result.history.size() < 400); // stopped early
  double best = INFINITY;
  for (const EpochReport& r : result.history)
    best = std::min(best, r.val_nll);
  CHECK(result.best_val_nll == best);
  CHECK(result.history.size() == static_cast<std::size_t>(result.best_epoch + 5));
  // The model holds the best epoch's parameters.
  CHECK(evaluate_nll(model, xv, yv) == Approx(best).epsilon(1e-6));
  CHECK(best < -0.5); // y is 2x plus noise of scale 0.1: learned
}

TEST_CASE_METHOD(FreshTape,
                 "train stops with an error naming the epoch and batch when the loss blows up",
                 "[mdn][model]") {
  Generator gen(6);
  const Tensor x = randn({64, 1}, gen), y = randn({64, 1}, gen);
  MDN model({.in_features = 1, .out_dim = 1, .components = 2, .hidden = {4}}, gen);
  const Tensor bad_y = full({64, 1}, std::nan(""));
  CHECK_THAT(error_of([&] {
               train(model, x, bad_y, Tensor(), Tensor(), {.epochs = 1, .batch_size = 32});
             }),
             Contains("the loss became NaN at epoch 1, batch 1"));
  clear_tape();
  CHECK_THAT(error_of([&] { train(model, x, y, Tensor(), Tensor(), {.epochs = 1, .lr = -1}); }),
             Contains("the learning rate must be a finite positive number, got -1"));
}

TEST_CASE_METHOD(FreshTape,
                 "select_components reports every K and keeps the best by validation NLL",
                 "[mdn][model]") {
  // Two well-separated branches: y = +-1 + noise, independent of x. One component cannot fit it.
  Generator gen(7);
  const auto branches = [&](std::int64_t n) {
    const Tensor x = rand({n, 1}, gen);
    std::vector<float> y;
    for (std::int64_t i = 0; i < n; ++i)
      y.push_back(static_cast<float>((gen.uniform() < 0.5 ? -1 : 1) + 0.1 * gen.normal()));
    return std::pair{x, from_vector(y, {n, 1})};
  };
  const auto [x, y] = branches(400);
  const auto [xv, yv] = branches(200);
  const OrderSelection s =
      select_components({1, 2}, {.in_features = 1, .out_dim = 1, .hidden = {8}},
                        {.epochs = 60, .batch_size = 100, .lr = 0.02, .seed = 2}, x, y, xv, yv, 9);
  REQUIRE(s.candidates.size() == 2);
  CHECK(s.candidates[0].components == 1);
  CHECK(s.candidates[1].components == 2);
  CHECK(s.candidates[1].val_nll < s.candidates[0].val_nll - 0.5);
  CHECK(s.best == 1);
  CHECK(s.model->options().components == 2);
}

TEST_CASE_METHOD(FreshTape, "the head and model reject bad arguments with clear messages",
                 "[mdn][model]") {
  Generator gen(8);
  CHECK_THAT(error_of([&] { MDN({.components = 0}, gen); }),
             Contains("the number of components must be positive, got 0"));
  CHECK_THAT(error_of([&] {
               MDN({.hidden = {8, -1}}, gen);
             }),
             Contains("hidden layer widths must be positive, got -1"));
  CHECK_THAT(error_of([&] { MDN({.noise = NoiseModel::Fixed, .fixed_scale = 0}, gen); }),
             Contains("the fixed scale must be a finite positive number, got 0"));
  MDN model({.in_features = 2}, gen);
  CHECK_THAT(error_of([&] {
               model.mixture(zeros({4, 3}));
             }),
             Contains("inputs have shape [4, 3], expected [batch, 2]"));
}

// The head's fused training loss (mdn/head_nll.cpp, MDN::nll) against the composed ops it
// replaces (mixture(x).nll(y): log_softmax, softplus, the mixture's log-likelihood, the mean), in
// value and in the gradient of every parameter, of x and of y; gradcheck of the fused op; NaN.
#include "mdn/head_nll.hpp"
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <cmath>
#include <limits>

using namespace tapegrad;
using namespace tapegrad::mdn;
using tapegrad::test::FreshTape;

namespace {

struct LossAndGradients {
  double loss;
  std::vector<std::vector<double>> grads; // parameters, then x, then y
};

LossAndGradients run(const MDN& model, const Tensor& x_in, const Tensor& y_in, bool fused) {
  const Tensor x = x_in.detach().requires_grad_(), y = y_in.detach().requires_grad_();
  for (Tensor p : model.parameters())
    p.zero_grad();
  const Tensor loss = fused ? model.nll(x, y) : model.mixture(x).nll(y);
  LossAndGradients out{loss.item<double>(), {}};
  loss.backward();
  for (const Tensor& p : model.parameters())
    out.grads.push_back(p.grad().to_vector<double>());
  out.grads.push_back(x.grad().to_vector<double>());
  out.grads.push_back(y.grad().to_vector<double>());
  clear_tape();
  return out;
}

} // namespace

TEST_CASE_METHOD(FreshTape, "the fused nll equals the composed ops in value and every gradient",
                 "[mdn]") {
  for (DType dtype : {kFloat64, kFloat32})
    for (NoiseModel noise : {NoiseModel::Diagonal, NoiseModel::Isotropic, NoiseModel::Fixed})
      for (std::int64_t d : {1, 2, 3})
        for (std::int64_t k : {1, 5, 17})
          for (std::int64_t batch : {1, 7, 40}) {
            INFO(noise_model_name(noise) << " D=" << d << " K=" << k << " B=" << batch << " "
                                         << (dtype == kFloat64 ? "float64" : "float32"));
            Generator gen(static_cast<std::uint64_t>(d * 100 + k * 10 + batch));
            const MDN model({.in_features = 3,
                             .out_dim = d,
                             .components = k,
                             .hidden = {6},
                             .noise = noise,
                             .fixed_scale = 0.8,
                             .min_scale = 0.01},
                            gen, dtype);
            const Tensor x = randn({batch, 3}, gen, dtype), y = randn({batch, d}, gen, dtype);
            const LossAndGradients composed = run(model, x, y, false),
                                   fused = run(model, x, y, true);
            const double tol = dtype == kFloat64 ? 1e-11 : 2e-5;
            CHECK(fused.loss == Approx(composed.loss).epsilon(tol).margin(tol));
            REQUIRE(fused.grads.size() == composed.grads.size());
            for (std::size_t t = 0; t < fused.grads.size(); ++t)
              for (std::size_t i = 0; i < fused.grads[t].size(); ++i) {
                INFO("gradient " << t << ", element " << i);
                CHECK(fused.grads[t][i] == Approx(composed.grads[t][i]).epsilon(tol).margin(tol));
              }
          }
}

TEST_CASE_METHOD(FreshTape, "stacked_head_nll passes gradcheck in its outputs and y", "[mdn]") {
  for (NoiseModel noise : {NoiseModel::Diagonal, NoiseModel::Isotropic, NoiseModel::Fixed})
    for (std::int64_t k : {1, 3}) {
      INFO(noise_model_name(noise) << " K=" << k);
      const std::int64_t d = 2, s = noise == NoiseModel::Diagonal    ? k * d
                                    : noise == NoiseModel::Isotropic ? k
                                                                     : 0;
      Generator gen(static_cast<std::uint64_t>(k + 40));
      const Tensor outputs = randn({3, k + k * d + s}, gen, kFloat64).requires_grad_();
      const Tensor y = randn({3, d}, gen, kFloat64).requires_grad_();
      const auto result = gradcheck(
          [&](const std::vector<Tensor>& in) {
            return stacked_head_nll(in[0], in[1], k, noise, 0.05, 0.9);
          },
          {outputs, y});
      INFO(result.message);
      CHECK(result.passed);
    }
}

TEST_CASE_METHOD(FreshTape, "a NaN in x or y makes the fused nll NaN, as the composed one",
                 "[mdn]") {
  Generator gen(5);
  const MDN model({.in_features = 2, .out_dim = 2, .components = 3, .hidden = {4}}, gen);
  Tensor x = randn({20, 2}, gen), y = randn({20, 2}, gen);
  y.data_ptr<float>()[7] = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(model.nll(x, y).item<double>()));
  CHECK(std::isnan(model.mixture(x).nll(y).item<double>()));
  clear_tape();
}

// Bishop's (1994) toy inverse problem: t ~ U(0, 1), x = t + 0.3 sin(2 pi t) + U(-0.1, 0.1), and
// predict t from x. The inverse is multi-valued for x in about [0.35, 0.65]: a mixture captures
// it, while a network trained on squared error can only give the conditional average.
#include "tests/support/mdn_helpers.hpp"

#include <nn/nn.hpp>

#include <cmath>
#include <numbers>

using namespace tapegrad;

namespace {

struct Data {
  Tensor x, t;
};

Data bishop_data(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> x(static_cast<std::size_t>(n)), t(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    t[i] = static_cast<float>(gen.uniform());
    x[i] = static_cast<float>(t[i] + 0.3 * std::sin(2 * std::numbers::pi * t[i]) +
                              (gen.uniform() * 0.2 - 0.1));
  }
  return {from_vector(x, {n, 1}), from_vector(t, {n, 1})};
}

double rms(const Tensor& a, const Tensor& b) {
  return std::sqrt(square(a - b).mean().item<double>());
}

} // namespace

TEST_CASE(
    "Bishop's inverse problem: an MDN captures the multi-valued inverse, MSE only its average",
    "[mdn][bishop]") {
  clear_tape();
  const Data train = bishop_data(1000, 1), heldout = bishop_data(10000, 2);

  Generator gen(3);
  mdn::MDN model({.in_features = 1, .out_dim = 1, .components = 3, .hidden = {20, 20}}, gen);
  model.head().init_from_targets(train.t);
  mdn::train(model, train.x, train.t, Tensor(), Tensor(),
             {.epochs = 1000, .batch_size = 250, .lr = 0.01, .seed = 4});
  // The true conditional density scores -1.29 nats per point here.
  const double mdn_nll = mdn::evaluate_nll(model, heldout.x, heldout.t);
  CHECK(mdn_nll < -1.0);

  // A squared-error network of the same size, trained as long.
  Generator gen2(3);
  nn::MLP net(1, {20, 20}, 1, nn::Activation::Tanh, gen2);
  nn::Adam adam(net.parameters(), {.lr = 0.01});
  for (int epoch = 0; epoch < 1000; ++epoch) {
    adam.zero_grad();
    square(net.forward(train.x) - train.t).mean().backward();
    adam.step();
    clear_tape();
  }
  NoGradGuard no_grad;
  const Tensor prediction = net.forward(heldout.x);
  const mdn::Mixture mixture = model.mixture(heldout.x);
  // It predicts the conditional average, which the mixture's mean also estimates...
  CHECK(rms(prediction, mdn::mixture_mean(mixture)) < 0.05);
  // ...and that average is a poor description of t: as a Gaussian around it with its own RMSE
  // it scores far worse than the mixture.
  const double error = rms(prediction, heldout.t);
  CHECK(error > 0.15);
  const double gaussian_nll = 0.5 * std::log(2 * std::numbers::pi * error * error) + 0.5;
  CHECK(gaussian_nll > mdn_nll + 0.5);
}

// The end-to-end check of the whole library: an MLP trained with full-batch Adam learns
// y = sin(x) on [-3, 3] to a test mean squared error below 1e-3, on points it never saw.
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <cmath>

using namespace tapegrad;
using tapegrad::test::FreshTape;

namespace {
// n points of [-3, 3] and sin at them; `offset` in (0, 1) shifts the grid between its knots.
std::pair<Tensor, Tensor> sine_grid(std::int64_t n, double offset) {
  std::vector<float> xs, ys;
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = -3.0 + 6.0 * (static_cast<double>(i) + offset) / static_cast<double>(n);
    xs.push_back(static_cast<float>(x));
    ys.push_back(static_cast<float>(std::sin(x)));
  }
  return {from_vector(xs, {n, 1}), from_vector(ys, {n, 1})};
}
} // namespace

TEST_CASE("an MLP learns sin(x) on -3..3 to a test MSE below 1e-3", "[nn][training]") {
  FreshTape fresh;
  Generator gen(3);
  nn::MLP model(1, {32, 32}, 1, nn::Activation::Tanh, gen);
  const auto [x, y] = sine_grid(64, 0.5);
  const auto [x_test, y_test] = sine_grid(97, 0.25);

  const std::int64_t steps = 600;
  nn::Adam adam(model.parameters(), {.lr = 1e-2});
  nn::CosineAnnealingLR schedule(adam, steps, 1e-4);
  double first_loss = 0, last_loss = 0;
  for (std::int64_t step = 0; step < steps; ++step) {
    adam.zero_grad();
    const Tensor loss = (model(x) - y).square().mean();
    loss.backward();
    adam.step();
    schedule.step();
    clear_tape();
    (step == 0 ? first_loss : last_loss) = loss.item<double>();
  }

  NoGradGuard no_grad;
  const double test_mse = (model(x_test) - y_test).square().mean().item<double>();
  INFO("training loss " << first_loss << " -> " << last_loss << ", test MSE " << test_mse);
  CHECK(last_loss < first_loss);
  CHECK(test_mse < 1e-3);
}

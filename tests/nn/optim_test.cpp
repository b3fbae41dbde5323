// One or two optimiser steps, checked against values worked out by hand from the published
// formulas (PyTorch's), on a parameter p = [1, -2] whose gradient is set to g = [0.5, -1.5] and
// then g2 = [0.25, 1]. Also: updates record nothing on the tape, and parameters without a
// gradient are left alone.
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <cmath>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_close;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;

namespace {
Tensor parameter(DType dtype = kFloat64) {
  return tensor({1.0, -2.0}, dtype).requires_grad_();
}

// Sets p's gradient to `gradient` through a backward pass, then steps.
void step_with(nn::Optimizer& optimizer, Tensor p, std::initializer_list<double> gradient) {
  optimizer.zero_grad();
  (p * tensor(gradient, p.dtype())).sum().backward();
  optimizer.step();
  clear_tape();
}
} // namespace

TEST_CASE("one Adam step matches the hand computation", "[nn][optim]") {
  FreshTape fresh;
  Tensor p = parameter();
  nn::Adam adam({p}, {.lr = 0.1});
  step_with(adam, p, {0.5, -1.5});
  // Step 1: m = 0.1 g, v = 0.001 g^2; the bias corrections divide by 0.1 and 0.001, leaving
  // m_hat = g and v_hat = g^2, so each element moves by lr * g / (|g| + eps).
  check_close(p, {1.0 - 0.1 * 0.5 / (0.5 + 1e-8), -2.0 + 0.1 * 1.5 / (1.5 + 1e-8)}, 1e-15);
  CHECK(adam.step_count() == 1);

  // Step 2, first element, g2 = 0.25: m = 0.9 * 0.05 + 0.1 * 0.25 = 0.07,
  // v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225; corrections 1 - 0.9^2 = 0.19 and
  // 1 - 0.999^2 = 0.001999. Second element, g2 = 1: m = 0.9 * -0.15 + 0.1 = -0.035,
  // v = 0.999 * 0.00225 + 0.001 = 0.00324775.
  const double p0 = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), p1 = -2.0 + 0.1 * 1.5 / (1.5 + 1e-8);
  step_with(adam, p, {0.25, 1.0});
  check_close(p,
              {p0 - 0.1 * (0.07 / 0.19) / (std::sqrt(0.00031225 / 0.001999) + 1e-8),
               p1 - 0.1 * (-0.035 / 0.19) / (std::sqrt(0.00324775 / 0.001999) + 1e-8)},
              1e-14);
}

TEST_CASE("Adam's weight decay is L2 added to the gradient", "[nn][optim]") {
  FreshTape fresh;
  Tensor p = parameter();
  nn::Adam adam({p}, {.lr = 0.1, .weight_decay = 0.1});
  step_with(adam, p, {0.5, -1.5});
  // The gradient becomes g + 0.1 p = [0.6, -1.7]; the first step moves by lr * d / (|d| + eps).
  check_close(p, {1.0 - 0.1 * 0.6 / (0.6 + 1e-8), -2.0 + 0.1 * 1.7 / (1.7 + 1e-8)}, 1e-15);
}

TEST_CASE("one AdamW step matches the hand computation", "[nn][optim]") {
  FreshTape fresh;
  Tensor p = parameter();
  nn::AdamW adamw({p}, {.lr = 0.1, .weight_decay = 0.1});
  step_with(adamw, p, {0.5, -1.5});
  // Decoupled: p *= 1 - 0.1 * 0.1 gives [0.99, -1.98], then the Adam step on the bare gradient.
  check_close(p, {0.99 - 0.1 * 0.5 / (0.5 + 1e-8), -1.98 + 0.1 * 1.5 / (1.5 + 1e-8)}, 1e-15);
  CHECK(nn::AdamW({parameter()}).options().weight_decay == 1e-2); // PyTorch's default
}

TEST_CASE("SGD with momentum matches the hand computation", "[nn][optim]") {
  FreshTape fresh;
  Tensor p = parameter();
  nn::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
  step_with(sgd, p, {0.5, -1.5});
  // Step 1: the buffer is g, p -= 0.1 g.
  check_close(p, {0.95, -1.85}, 1e-15);
  step_with(sgd, p, {0.25, 1.0});
  // Step 2: buffer = 0.9 [0.5, -1.5] + [0.25, 1] = [0.7, -0.35]; p -= 0.1 buffer.
  check_close(p, {0.88, -1.815}, 1e-15);
}

TEST_CASE("SGD with Nesterov momentum and with weight decay match the hand computation",
          "[nn][optim]") {
  FreshTape fresh;
  Tensor p = parameter();
  nn::SGD nesterov({p}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  step_with(nesterov, p, {0.5, -1.5});
  // Step 1: buffer = g, the step uses g + 0.9 buffer = 1.9 g = [0.95, -2.85].
  check_close(p, {0.905, -1.715}, 1e-15);
  step_with(nesterov, p, {0.25, 1.0});
  // Step 2: buffer = [0.7, -0.35]; g2 + 0.9 buffer = [0.88, 0.685].
  check_close(p, {0.817, -1.7835}, 1e-15);

  Tensor q = parameter();
  nn::SGD decay({q}, {.lr = 0.1, .weight_decay = 0.1});
  step_with(decay, q, {0.5, -1.5});
  // g + 0.1 q = [0.6, -1.7].
  check_close(q, {0.94, -1.83}, 1e-15);
}

TEST_CASE("optimiser steps record nothing and skip parameters without a gradient", "[nn][optim]") {
  FreshTape fresh;
  Tensor used = parameter(kFloat32), unused = parameter(kFloat32);
  nn::Adam adam({used, unused}, {.lr = 0.1});
  (used * 2.0).sum().backward();
  const std::size_t records = Tape::current().size();
  adam.step();
  CHECK(Tape::current().size() == records);
  CHECK(GradMode::is_enabled());
  clear_tape();
  CHECK(unused.to_vector<double>() == std::vector<double>{1.0, -2.0});
  // float32 works too: the first step moves each element by lr (the gradient's sign).
  check_close(used, {0.9, -2.1}, 1e-6);
}

TEST_CASE("optimisers reject bad settings", "[nn][optim]") {
  CHECK_THAT(error_of([] { nn::SGD({parameter()}, {.lr = 0.1, .nesterov = true}); }),
             Contains("SGD: nesterov needs a positive momentum"));
  CHECK_THAT(error_of([] { nn::Adam({parameter()}, {.beta1 = 1.0}); }),
             Contains("Adam: expected betas in [0, 1), got 1 and 0.999"));
  CHECK_THAT(error_of([] { nn::Adam({tensor({1.0})}, {}); }),
             Contains("Adam: parameter 0 ('') must be a leaf tensor requiring grad"));
  CHECK_THAT(error_of([] { nn::SGD({parameter()}, {.lr = -1}); }),
             Contains("SGD: expected a finite, non-negative learning rate, got -1"));
  CHECK_THAT(error_of([] { nn::Adam({}, {}); }), Contains("Adam: got no parameters"));
}

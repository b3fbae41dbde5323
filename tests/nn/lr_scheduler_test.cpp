// Learning-rate schedules against their formulas, their state, and gradient clipping.
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <cmath>
#include <numbers>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;

namespace {
// The optimiser's learning rate at epochs 0, 1, ..., count - 1 of a schedule.
template <class Schedule, class... Args>
std::vector<double> rates(std::int64_t count, double base, Args... args) {
  Tensor p = tensor({1.0}).requires_grad_();
  nn::SGD sgd({p}, {.lr = base});
  Schedule schedule(sgd, args...);
  std::vector<double> out{sgd.lr()};
  for (std::int64_t i = 1; i < count; ++i) {
    schedule.step();
    out.push_back(sgd.lr());
  }
  return out;
}

void check_rates(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("epoch " << i);
    CHECK(actual[i] == Approx(expected[i]).epsilon(1e-12).margin(1e-15));
  }
}
} // namespace

TEST_CASE("step, exponential, cosine and warm-up schedules follow their formulas",
          "[nn][lr_scheduler]") {
  check_rates(rates<nn::StepLR>(6, 0.8, std::int64_t{2}, 0.5), {0.8, 0.8, 0.4, 0.4, 0.2, 0.2});
  check_rates(rates<nn::ExponentialLR>(4, 0.8, 0.5), {0.8, 0.4, 0.2, 0.1});
  // Cosine from 1 to 0.2 over 4 epochs: the middle is halfway, and it stays at the floor after.
  const double c = std::cos(std::numbers::pi / 4);
  check_rates(rates<nn::CosineAnnealingLR>(6, 1.0, std::int64_t{4}, 0.2),
              {1.0, 0.2 + 0.8 * (1 + c) / 2, 0.6, 0.2 + 0.8 * (1 - c) / 2, 0.2, 0.2});
  check_rates(rates<nn::LinearWarmupLR>(6, 2.0, std::int64_t{4}, 0.1),
              {0.2, 0.65, 1.1, 1.55, 2.0, 2.0});
}

TEST_CASE("a schedule's state restores its position exactly", "[nn][lr_scheduler]") {
  Tensor p = tensor({1.0}).requires_grad_();
  nn::SGD a({p}, {.lr = 1.0}), b({p}, {.lr = 123.0});
  nn::CosineAnnealingLR first(a, 10, 0.01);
  for (int i = 0; i < 3; ++i)
    first.step();
  nn::CosineAnnealingLR second(b, 10, 0.01);
  second.load_state_dict(first.state_dict());
  CHECK(second.epoch() == 3);
  CHECK(b.lr() == a.lr());
  first.step();
  second.step();
  CHECK(b.lr() == a.lr());
  CHECK_THAT(error_of([&] { nn::StepLR(a, 0); }),
             Contains("StepLR: expected a positive step_size"));
}

TEST_CASE("clip_grad_norm scales all gradients together and returns the norm", "[nn][clip_grad]") {
  FreshTape fresh;
  Tensor a = zeros({2}, kFloat64).requires_grad_(), b = zeros({1}, kFloat64).requires_grad_();
  Tensor unused = zeros({3}, kFloat64).requires_grad_();
  ((a * tensor({3.0, 4.0}, kFloat64)).sum() + (b * 12.0).sum()).backward();
  clear_tape();
  // |(3, 4, 12)| = 13; clipping to 6.5 halves them (less the 1e-6 guard).
  CHECK(nn::clip_grad_norm({a, b, unused}, 6.5) == Approx(13.0));
  const double scale = 6.5 / (13.0 + 1e-6);
  tapegrad::test::check_close(a.grad(), {3.0 * scale, 4.0 * scale}, 1e-15);
  tapegrad::test::check_close(b.grad(), {12.0 * scale}, 1e-15);
  // Below the limit nothing changes; the infinity norm is the largest magnitude.
  CHECK(nn::clip_grad_norm({a, b}, 100.0) == Approx(6.5).epsilon(1e-6));
  CHECK(nn::clip_grad_norm({a, b}, 100.0, INFINITY) == Approx(12.0 * scale));
  tapegrad::test::check_close(b.grad(), {12.0 * scale}, 1e-15);

  b.grad().data_ptr<double>()[0] = NAN;
  CHECK_THAT(error_of([&] {
               nn::clip_grad_norm({a, b.set_name("b")}, 1.0);
             }),
             Contains("the gradient of parameter 1 ('b', shape [1]) holds NaN or Inf"));
}

// Initialisers: their bounds and spreads, fans as PyTorch computes them, determinism, and errors.
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <cmath>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;

namespace {
std::pair<double, double> mean_and_std(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  double mean = 0, square = 0;
  for (double x : v)
    mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v)
    square += (x - mean) * (x - mean);
  return {mean, std::sqrt(square / static_cast<double>(v.size()))};
}
double max_abs(const Tensor& t) {
  double m = 0;
  for (double x : t.to_vector<double>())
    m = std::max(m, std::abs(x));
  return m;
}
} // namespace

TEST_CASE("fans and gains follow PyTorch", "[nn][init]") {
  const nn::init::Fans fans = nn::init::calculate_fans(zeros({8, 3, 5}));
  CHECK(fans.in == 15);
  CHECK(fans.out == 40);
  CHECK(nn::init::calculate_gain("tanh") == Approx(5.0 / 3.0));
  CHECK(nn::init::calculate_gain("relu") == Approx(std::sqrt(2.0)));
  CHECK(nn::init::calculate_gain("leaky_relu", std::sqrt(5.0)) == Approx(std::sqrt(1.0 / 3.0)));
  CHECK_THAT(error_of([] { nn::init::calculate_fans(zeros({4})); }),
             Contains("at least 2 axes, got shape [4]"));
  CHECK_THAT(error_of([] { nn::init::calculate_gain("swish"); }),
             Contains("unknown nonlinearity 'swish'"));
}

TEST_CASE("Linear's default init is U(-1/sqrt(in), 1/sqrt(in)), as LibTorch", "[nn][init]") {
  Generator gen(0);
  nn::Linear layer(64, 200, true, gen);
  const double bound = 1.0 / 8.0;
  CHECK(max_abs(layer.weight) <= bound);
  CHECK(max_abs(layer.weight) > 0.95 * bound);
  CHECK(mean_and_std(layer.weight).second == Approx(bound / std::sqrt(3.0)).epsilon(0.03));
  CHECK(max_abs(layer.bias) <= bound);

  nn::Linear xavier(64, 200, true, gen, kFloat32, nn::LinearInit::XavierUniform);
  const double xavier_bound = std::sqrt(6.0 / (64 + 200));
  CHECK(max_abs(xavier.weight) <= xavier_bound);
  CHECK(max_abs(xavier.weight) > 0.95 * xavier_bound);
  CHECK(max_abs(xavier.bias) == 0.0);
}

TEST_CASE("initialisers have the documented spread and the same seed gives the same bits",
          "[nn][init]") {
  Generator gen(1);
  Tensor w = empty({300, 100}, kFloat64);
  nn::init::normal_(w, 2.0, 0.5, gen);
  CHECK(mean_and_std(w).first == Approx(2.0).epsilon(0.01));
  CHECK(mean_and_std(w).second == Approx(0.5).epsilon(0.02));
  nn::init::xavier_normal_(w, gen);
  CHECK(mean_and_std(w).second == Approx(std::sqrt(2.0 / 400)).epsilon(0.02));
  nn::init::kaiming_normal_(w, gen, 0.0, nn::init::FanMode::FanIn, "relu");
  CHECK(mean_and_std(w).second == Approx(std::sqrt(2.0 / 100)).epsilon(0.02));
  nn::init::kaiming_uniform_(w, gen, 0.0, nn::init::FanMode::FanOut, "relu");
  CHECK(max_abs(w) <= std::sqrt(6.0 / 300));
  nn::init::uniform_(w, -0.25, 0.75, gen);
  CHECK(mean_and_std(w).first == Approx(0.25).epsilon(0.02));
  nn::init::constant_(w, 0.125);
  CHECK(max_abs(w - 0.125) == 0.0);
  nn::init::ones_(w);
  CHECK(w.sum().item<double>() == 30000.0);

  Generator a(7), b(7);
  Tensor x = empty({10, 10}), y = empty({10, 10});
  nn::init::xavier_uniform_(x, a);
  nn::init::xavier_uniform_(y, b);
  CHECK(x.to_vector<float>() == y.to_vector<float>());
  CHECK_THAT(error_of([&] { nn::init::normal_(x, 0, -1, a); }), Contains("non-negative std"));
}

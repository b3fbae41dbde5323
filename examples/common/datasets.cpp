#include "common/datasets.hpp"

#include <cmath>
#include <numbers>
#include <vector>

namespace tapegrad::examples {

namespace {
constexpr double kPi = std::numbers::pi;
constexpr double kLink1 = 0.8, kLink2 = 0.2;

Dataset make(const std::vector<float>& x, const std::vector<float>& y, std::int64_t in,
             std::int64_t out) {
  const auto n = static_cast<std::int64_t>(x.size()) / in;
  return {from_vector(x, {n, in}), from_vector(y, {n, out})};
}
} // namespace

Dataset bishop_inverse(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> x(static_cast<std::size_t>(n)), t(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    t[i] = static_cast<float>(gen.uniform());
    x[i] = static_cast<float>(t[i] + 0.3 * std::sin(2 * kPi * t[i]) + (gen.uniform() * 0.2 - 0.1));
  }
  return make(x, t, 1, 1);
}

Dataset noisy_sine(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> x(static_cast<std::size_t>(n)), y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xi = gen.uniform() * 30 - 15;
    x[i] = static_cast<float>(xi);
    y[i] = static_cast<float>(0.5 * xi + 8 * std::sin(0.3 * xi) + gen.normal());
  }
  return make(x, y, 1, 1);
}

Dataset spiral(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> x(static_cast<std::size_t>(n)), y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double theta = 5 * kPi * static_cast<double>(i) / static_cast<double>(n - 1);
    x[i] = static_cast<float>(theta * std::cos(theta) + (gen.uniform() * 2 - 1));
    y[i] = static_cast<float>(theta * std::sin(theta));
  }
  return make(x, y, 1, 1);
}

Dataset robot_arm(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> angles(static_cast<std::size_t>(2 * n));
  for (std::size_t i = 0; i < angles.size(); i += 2) {
    angles[i] = static_cast<float>(0.3 + 0.9 * gen.uniform());
    angles[i + 1] = static_cast<float>(kPi / 2 + kPi * gen.uniform());
  }
  const Tensor y = from_vector(angles, {n, 2});
  return {arm_forward(y), y};
}

Tensor arm_forward(const Tensor& angles) {
  const std::vector<double> a = angles.to_vector<double>();
  std::vector<float> p(a.size());
  for (std::size_t i = 0; i < a.size(); i += 2) {
    p[i] = static_cast<float>(kLink1 * std::cos(a[i]) - kLink2 * std::cos(a[i] + a[i + 1]));
    p[i + 1] = static_cast<float>(kLink1 * std::sin(a[i]) - kLink2 * std::sin(a[i] + a[i + 1]));
  }
  return from_vector(p, {angles.size(0), 2});
}

} // namespace tapegrad::examples

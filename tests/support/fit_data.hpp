#pragma once
// Small seeded data sets for the tests of mdn::fit's recipe: two branches, one Gaussian, and
// targets recorded in whole units with a run of repeated values.
#include <autograd/autograd.hpp>

#include <cmath>
#include <vector>

namespace tapegrad::test {

struct XY {
  Tensor x, y;
};

// x ~ U(-1, 1), y = +-x + N(0, 0.05^2): two branches, so a mixture of two components is needed.
inline XY two_branches(std::int64_t n, std::uint64_t seed, DType dtype = kFloat32) {
  Generator gen(seed);
  std::vector<double> x, y;
  for (std::int64_t i = 0; i < n; ++i) {
    const double xi = gen.uniform() * 2 - 1;
    x.push_back(xi);
    y.push_back((gen.uniform() < 0.5 ? -xi : xi) + 0.05 * gen.normal());
  }
  return {from_vector(x, {n, 1}, dtype), from_vector(y, {n, 1}, dtype)};
}

// x ~ U(-1, 1), y = x + N(0, 0.3^2): one component is all it takes.
inline XY one_gaussian(std::int64_t n, std::uint64_t seed, DType dtype = kFloat32) {
  Generator gen(seed);
  std::vector<double> x, y;
  for (std::int64_t i = 0; i < n; ++i) {
    const double xi = gen.uniform() * 2 - 1;
    x.push_back(xi);
    y.push_back(xi + 0.3 * gen.normal());
  }
  return {from_vector(x, {n, 1}, dtype), from_vector(y, {n, 1}, dtype)};
}

// Targets in whole units: y = 3 for every x < 0 (a value repeated in half the rows), and
// round(3 + 4 x + N(0, 1.5^2)) for x >= 0.
inline XY whole_units(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<double> x, y;
  for (std::int64_t i = 0; i < n; ++i) {
    const double xi = gen.uniform() * 2 - 1;
    x.push_back(xi);
    y.push_back(xi < 0 ? 3.0 : std::round(3 + 4 * xi + 1.5 * gen.normal()));
  }
  return {from_vector(x, {n, 1}, kFloat32), from_vector(y, {n, 1}, kFloat32)};
}

} // namespace tapegrad::test

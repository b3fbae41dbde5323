#pragma once
// Helpers shared by the autograd tests: seeded inputs (uniform, or distinct values kept away from
// kinks), element-by-element comparison, a gradcheck assertion that prints the worst entry, a
// catcher for tapegrad::Error messages, and a fixture that gives a test a fresh tape.
#include "autograd/autograd.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace tapegrad::test {

// Clears the calling thread's tape before and after a test, so that no test sees another's
// records or a tape already walked.
struct FreshTape {
  FreshTape() { clear_tape(); }
  ~FreshTape() { clear_tape(); }
  FreshTape(const FreshTape&) = delete;
  FreshTape& operator=(const FreshTape&) = delete;
};

// Values drawn uniformly from [lo, hi).
inline std::vector<double> uniform_values(std::int64_t count, std::uint64_t seed, double lo,
                                          double hi) {
  Generator gen(seed);
  std::vector<double> values(static_cast<std::size_t>(count));
  for (double& v : values)
    v = lo + (hi - lo) * gen.uniform();
  return values;
}

inline Tensor uniform(const Shape& shape, std::uint64_t seed, double lo, double hi,
                      DType dtype = kFloat64) {
  return from_vector(uniform_values(shape.numel(), seed, lo, hi), shape, dtype);
}

// `count` values, shuffled, of the form ±(0.3 + 0.1 k + jitter) with |jitter| <= 0.02: pairwise at
// least 0.06 apart, at least 0.28 from 0 and at least 0.03 from any odd multiple of 0.05. Inputs
// for ops with kinks (relu, abs, clamp, minimum, maximum, max), where a finite-difference step of
// 1e-6 must not cross a kink or a tie.
inline std::vector<double> distinct_values(std::int64_t count, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = order.size(); i > 1; --i) // Fisher-Yates
    std::swap(order[i - 1], order[gen.below(i)]);
  std::vector<double> values;
  values.reserve(order.size());
  for (std::int64_t k : order) {
    const double magnitude = 0.3 + 0.1 * static_cast<double>(k) + 0.04 * (gen.uniform() - 0.5);
    values.push_back(gen.uniform() < 0.5 ? -magnitude : magnitude);
  }
  return values;
}

inline Tensor distinct(const Shape& shape, std::uint64_t seed, DType dtype = kFloat64) {
  return from_vector(distinct_values(shape.numel(), seed), shape, dtype);
}

inline std::vector<double> values_of(const Tensor& t) {
  return t.to_vector<double>();
}

// Each element of `actual` equals `expected` within a relative and an absolute tolerance.
inline void check_close(const Tensor& actual, const std::vector<double>& expected,
                        double tolerance = 1e-12) {
  const std::vector<double> values = actual.to_vector<double>();
  REQUIRE(values.size() == expected.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO("element " << i);
    CHECK(values[i] == Approx(expected[i]).epsilon(tolerance).margin(tolerance));
  }
}

// gradcheck passes; on failure the worst entry is printed.
inline void check_gradients(const GradcheckFunction& f, const std::vector<Tensor>& inputs) {
  const GradcheckResult result = gradcheck(f, inputs);
  INFO(result.message);
  CHECK(result.passed);
  CHECK(result.worst_ratio <= 1.0);
}

// The message of the tapegrad::Error that f throws; the test fails if f throws nothing.
template <class F> std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& error) {
    return error.what();
  }
  FAIL("expected a tapegrad::Error, but nothing was thrown");
  return {};
}

// Row-major strides of a shape.
inline std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (int i = shape.rank() - 2; i >= 0; --i)
    strides[static_cast<std::size_t>(i)] = strides[static_cast<std::size_t>(i) + 1] * shape[i + 1];
  return strides;
}

// The multi-index of flat position `flat` in `shape`.
inline std::vector<std::int64_t> unravel(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> index(shape.size());
  for (int i = shape.rank() - 1; i >= 0; --i) {
    index[static_cast<std::size_t>(i)] = flat % shape[i];
    flat /= shape[i];
  }
  return index;
}

inline std::int64_t ravel(const std::vector<std::int64_t>& index, const Shape& shape) {
  std::int64_t flat = 0;
  for (int i = 0; i < shape.rank(); ++i)
    flat = flat * shape[i] + index[static_cast<std::size_t>(i)];
  return flat;
}

} // namespace tapegrad::test

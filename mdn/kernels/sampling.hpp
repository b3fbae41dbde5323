#pragma once
// The loops of mdn::sample (sampling.cpp), over plain buffers: normals from uniforms by
// Box-Muller, the running sums of the tempered mixing weights, and the search for a component.
// Each SIMD loop has its scalar twin (*_reference) for the tests.
#include "autograd/kernels/simd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace tapegrad::mdn::kernels {

using tapegrad::kernels::Batch;
using tapegrad::kernels::kWidth;

// values[i] = exp(values[i]), SIMD where it can be (the tail stays scalar).
template <class T> void exp_in_place(T* values, std::int64_t size) {
  std::int64_t i = 0;
  for (; i + kWidth<T> <= size; i += kWidth<T>)
    xsimd::exp(Batch<T>::load_unaligned(values + i)).store_unaligned(values + i);
  for (; i < size; ++i)
    values[i] = std::exp(values[i]);
}

// Box-Muller: a pair of uniforms, u in (0, 1] (so that its logarithm is finite) and an angle
// 2 pi v, becomes two independent standard normals, r cos(angle) and r sin(angle) with
// r = sqrt(-2 log u). In place: radius[p] becomes the first normal, angle[p] the second.
inline void box_muller_reference(double* radius, double* angle, std::int64_t pairs) {
  for (std::int64_t p = 0; p < pairs; ++p) {
    const double r = std::sqrt(-2.0 * std::log(radius[p]));
    radius[p] = r * std::cos(angle[p]);
    angle[p] = r * std::sin(angle[p]);
  }
}

inline void box_muller(double* radius, double* angle, std::int64_t pairs) {
  constexpr std::int64_t w = kWidth<double>;
  std::int64_t p = 0;
  for (; p + w <= pairs; p += w) {
    const auto r = xsimd::sqrt(-2.0 * xsimd::log(Batch<double>::load_unaligned(radius + p)));
    const auto [s, c] = xsimd::sincos(Batch<double>::load_unaligned(angle + p));
    (r * c).store_unaligned(radius + p);
    (r * s).store_unaligned(angle + p);
  }
  box_muller_reference(radius + p, angle + p, pairs - p);
}

// The running sums of the mixing weights of `rows` rows of K log weights, softened by the
// temperature tau: the weights are exp((log_pi - max) / tau), or the most probable component
// alone at tau = 0. Drawing a component is then a search for u * total among the row's sums. In
// the mixture's dtype, as PyTorch's sampling does: float's rounding shifts a weight by about
// 1e-7 of the total.
template <class T>
std::vector<T> cumulative_weights(const T* log_pi, std::int64_t rows, std::int64_t components,
                                  double tau) {
  std::vector<T> w(static_cast<std::size_t>(rows * components));
  const T inverse_tau = tau == 0 ? T(0) : static_cast<T>(1.0 / tau);
  for (std::int64_t b = 0; b < rows; ++b) {
    const T* row = log_pi + b * components;
    T* out = w.data() + b * components;
    const std::int64_t top = std::max_element(row, row + components) - row;
    for (std::int64_t k = 0; k < components; ++k)
      out[k] = (row[k] - row[top]) * inverse_tau;
    if (tau == 0) {
      std::fill(out, out + components, -INFINITY);
      out[top] = 0;
    }
  }
  exp_in_place(w.data(), static_cast<std::int64_t>(w.size()));
  for (std::int64_t r = 0; r < rows; ++r)
    std::partial_sum(w.data() + r * components, w.data() + (r + 1) * components,
                     w.data() + r * components);
  return w;
}

// The component whose stretch of the running sums holds u * total, for u in [0, 1): the first k
// whose sum exceeds the target, found by a plain search.
template <class T>
std::int64_t draw_component_reference(const T* sums, std::int64_t components, double u) {
  const double target = u * static_cast<double>(sums[components - 1]);
  for (std::int64_t k = 0; k < components; ++k)
    if (static_cast<double>(sums[k]) > target)
      return k;
  for (std::int64_t k = components - 1; k > 0; --k) // the target is the total itself
    if (sums[k] > sums[k - 1])
      return k;
  return 0;
}

// The same component: the number of sums at or below the target, counted without branches (a
// random branch per row would be mispredicted half the time).
template <class T> std::int64_t draw_component(const T* sums, std::int64_t components, double u) {
  const double target = u * static_cast<double>(sums[components - 1]);
  std::int64_t below = 0;
  for (std::int64_t k = 0; k < components; ++k)
    below += static_cast<double>(sums[k]) <= target;
  if (below < components)
    return below;
  // Rounding can put the target on the total itself: the last component with weight.
  for (std::int64_t k = components - 1; k > 0; --k)
    if (sums[k] > sums[k - 1])
      return k;
  return 0;
}

} // namespace tapegrad::mdn::kernels

#pragma once
// The scalar functions the element-wise op tables are written with. The same table expressions
// compile for xsimd batches, whose overloads argument-dependent lookup finds in namespace xsimd;
// the scalar ones here are constrained so that they never compete for a batch.
#include <cmath>
#include <concepts>

namespace tapegrad::kernels::math {

using std::abs;
using std::exp;
using std::log;
using std::log1p;
using std::pow;
using std::sqrt;
using std::tanh;

template <std::floating_point T> T max(T a, T b) {
  return a > b ? a : b;
}
template <std::floating_point T> T min(T a, T b) {
  return a < b ? a : b;
}
template <std::floating_point T> T where(bool condition, T if_true, T if_false) {
  return condition ? if_true : if_false;
}
// For SIMD batches: the condition is a batch of booleans, and xsimd's select (found by
// argument-dependent lookup) picks lane by lane.
template <class Condition, class V>
requires(!std::same_as<Condition, bool>) V
    where(const Condition& condition, const V& if_true, const V& if_false) {
  return select(condition, if_true, if_false);
}
// sign(0) = 0: the subgradient PyTorch uses for |x| at its kink.
template <std::floating_point T> T sign(T x) {
  return static_cast<T>((x > T(0)) - (x < T(0)));
}

} // namespace tapegrad::kernels::math

#pragma once
// The scalar functions the element-wise op tables are written with. The same table expressions
// compile for xsimd batches, whose overloads argument-dependent lookup finds in namespace xsimd;
// the scalar ones here are constrained so that they never compete for a batch. This header is
// public (the tables generate the ops' declarations), so it names xsimd's batch without including
// xsimd.
#include <cmath>
#include <concepts>

namespace xsimd {
template <class T, class A> class batch;
} // namespace xsimd

namespace tapegrad::kernels::math {

using std::abs;
using std::exp;
using std::log;
using std::log1p;
using std::pow;
using std::sqrt;

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

// max and min propagate NaN, as torch.maximum and torch.minimum: NaN when either operand is (the
// hardware's max and min, and so xsimd's, return the second operand then). Otherwise they are the
// hardware's: a > b ? a : b, so max(-0, +0) is +0. The batch overloads are more specialised than
// xsimd's max(batch<T, A>, batch<T, A>), so they win for float and double batches; they ask
// isnan (xsimd's, found by argument-dependent lookup) rather than a != a, which xsimd compares as
// an ordered predicate, false for NaN.
template <std::floating_point T> T max(T a, T b) {
  return a > b || a != a ? a : b;
}
template <std::floating_point T> T min(T a, T b) {
  return a < b || a != a ? a : b;
}
template <class A>
xsimd::batch<float, A> max(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b) {
  return select((a > b) | isnan(a), a, b);
}
template <class A>
xsimd::batch<double, A> max(const xsimd::batch<double, A>& a, const xsimd::batch<double, A>& b) {
  return select((a > b) | isnan(a), a, b);
}
template <class A>
xsimd::batch<float, A> min(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b) {
  return select((a < b) | isnan(a), a, b);
}
template <class A>
xsimd::batch<double, A> min(const xsimd::batch<double, A>& a, const xsimd::batch<double, A>& b) {
  return select((a < b) | isnan(a), a, b);
}

// tanh. Doubles keep the library's (std::tanh, and xsimd::tanh for a batch, found by
// argument-dependent lookup). Floats use a rational function, the odd degree-13 / even degree-6
// fit Eigen uses for its fast tanh: within 4e-7 of tanh everywhere, about 3 ulp, and a few
// multiplies and one division per SIMD batch where xsimd's tanh costs several times more (it is
// most of an MLP trunk's time outside the GEMMs). NaN passes through; +-inf give +-1.
namespace detail {
// x clamped to [-limit, limit] by plain comparisons: a NaN comes out as one of the bounds, which
// is fine where the caller puts the NaN back itself (the NaN-propagating max and min cost a
// comparison and a blend more each).
inline float clamp_unordered(float x, float limit) {
  return x < -limit ? -limit : (x > limit ? limit : x);
}
template <class A>
xsimd::batch<float, A> clamp_unordered(const xsimd::batch<float, A>& x, float limit) {
  using V = xsimd::batch<float, A>;
  return clip(x, V(-limit), V(limit)); // xsimd's, by argument-dependent lookup: max then min
}

template <class V> V rational_tanh(V x) {
  const V x2c = clamp_unordered(x, 7.90531110763549805f);
  const V x2 = x2c * x2c;
  V p(-2.76076847742355e-16f);
  p = p * x2 + V(2.00018790482477e-13f);
  p = p * x2 + V(-8.60467152213735e-11f);
  p = p * x2 + V(5.12229709037114e-08f);
  p = p * x2 + V(1.48572235717979e-05f);
  p = p * x2 + V(6.37261928875436e-04f);
  p = p * x2 + V(4.89352455891786e-03f);
  V q(1.19825839466702e-06f);
  q = q * x2 + V(1.18534705686654e-04f);
  q = q * x2 + V(2.26843463243900e-03f);
  q = q * x2 + V(4.89352518554385e-03f);
  return where(x == x, x2c * p / q, x);
}
} // namespace detail

inline double tanh(double x) {
  return std::tanh(x);
}
inline float tanh(float x) {
  return detail::rational_tanh(x);
}
// More specialised than xsimd's tanh(batch<T, A>), so it wins for float batches.
template <class A> xsimd::batch<float, A> tanh(const xsimd::batch<float, A>& x) {
  return detail::rational_tanh(x);
}

// sign(0) = 0: the subgradient PyTorch uses for |x| at its kink.
template <std::floating_point T> T sign(T x) {
  return static_cast<T>((x > T(0)) - (x < T(0)));
}

} // namespace tapegrad::kernels::math

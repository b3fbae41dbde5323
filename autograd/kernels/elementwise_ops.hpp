#pragma once
// The element-wise ops, one line each: name, value, derivative. Adding an op is adding a line here
// (and, for a table of named ops, it gets its free function and Tensor method from the line too).
//
// In a unary op: x is the input, y = value the output, a and b the op's scalar parameters.
// In a binary op: a and b are the inputs, z = value the output, then dz/da and dz/db.
// Constants zero, half, one, two have the element type. Expressions must hold for scalars and
// for SIMD batches alike, so branches are written with where(condition, if_true, if_false).
#include "autograd/kernels/math.hpp"

// The tables are laid out by hand, to read as tables.
// clang-format off

// Unary ops with a public name: tapegrad::exp(x) and x.exp().
#define TAPEGRAD_UNARY_OPS(X)                                                    \
  X(neg, -x, -one)                                                               \
  X(exp, exp(x), y)                                                              \
  X(log, log(x), one / x)                                                        \
  X(log1p, log1p(x), one / (one + x))                                            \
  X(sqrt, sqrt(x), half / y)                                                     \
  X(square, x * x, two * x)                                                      \
  X(abs, abs(x), sign(x))                                                        \
  X(tanh, tanh(x), one - y * y)                                                  \
  X(sigmoid, one / (one + exp(-x)), y * (one - y))                               \
  X(relu, max(x, zero), where(x > zero, one, zero))                              \
  /* x * sigmoid(x); its derivative is s + x s (1 - s) */                        \
  X(silu, x / (one + exp(-x)),                                                   \
    one / (one + exp(-x)) * (one + x * (one - one / (one + exp(-x)))))           \
  /* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x| */      \
  X(softplus, max(x, zero) + log1p(exp(-abs(x))), one / (one + exp(-x)))

// Unary ops with scalar parameters a (and b); their public forms are the operators, pow, clamp
// and elu.
#define TAPEGRAD_SCALAR_OPS(X)                                                   \
  X(add_scalar, x + a, one)                                                      \
  X(sub_scalar, x - a, one)                                                      \
  X(rsub_scalar, a - x, -one)                                                    \
  X(mul_scalar, x * a, a)                                                        \
  X(div_scalar, x / a, one / a)                                                  \
  X(rdiv_scalar, a / x, -y / x)                                                  \
  X(pow_scalar, pow(x, a), a * pow(x, a - one))                                  \
  X(clamp, min(max(x, a), b), where(x >= a, where(x <= b, one, zero), zero))     \
  /* a (e^x - 1) below 0, with a = alpha; its derivative there is a e^x = y + a */ \
  X(elu, where(x > zero, x, a * (exp(x) - one)), where(x > zero, one, y + a))

// Binary ops, broadcasting like NumPy. min and max propagate NaN (kernels/math.hpp). The gradient
// of minimum and maximum goes to the operand chosen; at a tie it is split evenly, and at a NaN
// both operands get all of it, as in PyTorch.
#define TAPEGRAD_BINARY_OPS(X)                                                   \
  X(add, a + b, one, one)                                                        \
  X(sub, a - b, one, -one)                                                       \
  X(mul, a * b, b, a)                                                            \
  X(div, a / b, one / b, -z / b)                                                 \
  X(minimum, min(a, b), where(a > b, zero, where(a == b, half, one)),            \
    where(b > a, zero, where(a == b, half, one)))                                \
  X(maximum, max(a, b), where(a < b, zero, where(a == b, half, one)),            \
    where(b < a, zero, where(a == b, half, one)))
// clang-format on

namespace tapegrad::kernels {

#define TAPEGRAD_CONSTANTS_                                                                        \
  [[maybe_unused]] const V zero(0), half(0.5), one(1), two(2);                                     \
  using namespace ::tapegrad::kernels::math

// Each table line becomes a functor: NAME_op::value(...) and NAME_op::derivative(...).
#define TAPEGRAD_UNARY_FUNCTOR_(NAME, VALUE, DERIVATIVE)                                           \
  struct NAME##_op {                                                                               \
    static constexpr const char* name = #NAME;                                                     \
    template <class V> static V value(V x, [[maybe_unused]] V a, [[maybe_unused]] V b) {           \
      TAPEGRAD_CONSTANTS_;                                                                         \
      return VALUE;                                                                                \
    }                                                                                              \
    template <class V>                                                                             \
    static V derivative([[maybe_unused]] V x, [[maybe_unused]] V y, [[maybe_unused]] V a,          \
                        [[maybe_unused]] V b) {                                                    \
      TAPEGRAD_CONSTANTS_;                                                                         \
      return DERIVATIVE;                                                                           \
    }                                                                                              \
  };
TAPEGRAD_UNARY_OPS(TAPEGRAD_UNARY_FUNCTOR_)
TAPEGRAD_SCALAR_OPS(TAPEGRAD_UNARY_FUNCTOR_)
#undef TAPEGRAD_UNARY_FUNCTOR_

#define TAPEGRAD_BINARY_FUNCTOR_(NAME, VALUE, DERIVATIVE_A, DERIVATIVE_B)                          \
  struct NAME##_op {                                                                               \
    static constexpr const char* name = #NAME;                                                     \
    template <class V> static V value(V a, V b) {                                                  \
      TAPEGRAD_CONSTANTS_;                                                                         \
      return VALUE;                                                                                \
    }                                                                                              \
    template <class V>                                                                             \
    static V derivative_a([[maybe_unused]] V a, [[maybe_unused]] V b, [[maybe_unused]] V z) {      \
      TAPEGRAD_CONSTANTS_;                                                                         \
      return DERIVATIVE_A;                                                                         \
    }                                                                                              \
    template <class V>                                                                             \
    static V derivative_b([[maybe_unused]] V a, [[maybe_unused]] V b, [[maybe_unused]] V z) {      \
      TAPEGRAD_CONSTANTS_;                                                                         \
      return DERIVATIVE_B;                                                                         \
    }                                                                                              \
  };
TAPEGRAD_BINARY_OPS(TAPEGRAD_BINARY_FUNCTOR_)
#undef TAPEGRAD_BINARY_FUNCTOR_
#undef TAPEGRAD_CONSTANTS_

} // namespace tapegrad::kernels

#pragma once
// The optimisers' update loops over one parameter's buffers (value, gradient, moments). nn's
// optimisers call these; the SIMD versions live in optim.cpp so that this header, like every
// public one, compiles without xsimd.
#include <cmath>
#include <cstdint>

namespace tapegrad::kernels {

// One Adam (or AdamW) step for n elements, as torch.optim.Adam with its defaults:
//   value *= keep                      (AdamW's decoupled decay; keep = 1 for Adam)
//   d = grad + l2 value                (Adam's L2 decay; l2 = 0 for AdamW)
//   m = b1 m + (1 - b1) d;  v = b2 v + (1 - b2) d^2
//   value -= step_size m / (sqrt(v) / root2 + eps)
// where step_size = lr / (1 - b1^t) and root2 = sqrt(1 - b2^t) are the bias corrections.
template <class T> struct AdamCoefficients { T keep, l2, b1, b2, eps, step_size, root2; };

template <class T>
void adam_update_reference(T* value, const T* grad, T* m, T* v, std::int64_t n,
                           const AdamCoefficients<T>& c) {
  for (std::int64_t i = 0; i < n; ++i) {
    value[i] *= c.keep;
    const T d = grad[i] + c.l2 * value[i];
    m[i] = c.b1 * m[i] + (T(1) - c.b1) * d;
    v[i] = c.b2 * v[i] + (T(1) - c.b2) * d * d;
    value[i] -= c.step_size * m[i] / (std::sqrt(v[i]) / c.root2 + c.eps);
  }
}

// The same in SIMD batches (optim.cpp), defined for float and double. A loop of scalar square
// roots and divisions is what the compiler makes of the reference (it may not vectorise a sqrt
// that could set errno), and that was a tenth of a small model's step.
template <class T>
void adam_update(T* value, const T* grad, T* m, T* v, std::int64_t n, const AdamCoefficients<T>& c);

extern template void adam_update<float>(float*, const float*, float*, float*, std::int64_t,
                                        const AdamCoefficients<float>&);
extern template void adam_update<double>(double*, const double*, double*, double*, std::int64_t,
                                         const AdamCoefficients<double>&);

} // namespace tapegrad::kernels

// The SIMD versions of the update loops in optim.hpp. Elements are independent, so any split
// gives the same bits; the tail past the last whole batch runs the scalar reference, whose
// operations are the same ones in the same order.
#include "autograd/kernels/optim.hpp"

#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/simd.hpp"

namespace tapegrad::kernels {

template <class T>
void adam_update(T* value, const T* grad, T* m, T* v, std::int64_t n,
                 const AdamCoefficients<T>& c) {
  constexpr std::int64_t w = kWidth<T>;
  const Batch<T> keep(c.keep), l2(c.l2), b1(c.b1), b2(c.b2), eps(c.eps), step_size(c.step_size),
      root2(c.root2), one_b1(T(1) - c.b1), one_b2(T(1) - c.b2);
  const auto run = [&](std::int64_t begin, std::int64_t end) {
    std::int64_t i = begin;
    for (; i + w <= end; i += w) {
      const Batch<T> x = load(value + i) * keep;
      const Batch<T> d = load(grad + i) + l2 * x;
      const Batch<T> mi = b1 * load(m + i) + one_b1 * d;
      const Batch<T> vi = b2 * load(v + i) + one_b2 * d * d;
      store(m + i, mi);
      store(v + i, vi);
      store(value + i, x - step_size * mi / (xsimd::sqrt(vi) / root2 + eps));
    }
    adam_update_reference(value + i, grad + i, m + i, v + i, end - i, c);
  };
  parallel_blocks(ceil_div(n, kBlock), n * 8, [&](std::int64_t block) {
    run(block * kBlock, std::min(n, (block + 1) * kBlock));
  });
}

template void adam_update<float>(float*, const float*, float*, float*, std::int64_t,
                                 const AdamCoefficients<float>&);
template void adam_update<double>(double*, const double*, double*, double*, std::int64_t,
                                  const AdamCoefficients<double>&);

} // namespace tapegrad::kernels

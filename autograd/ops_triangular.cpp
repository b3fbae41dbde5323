// solve_triangular: X = L^-1 B for lower-triangular L, the step that turns a Cholesky factor into
// a Mahalanobis distance (a full-covariance Gaussian's log-density) without forming an inverse.
#include "autograd/kernels/triangular.hpp"
#include "autograd/ops.hpp"

#include <cmath>

namespace tapegrad {

// X = L^-1 B;  dL/dB = L^-T dL/dX,  dL/dL = -(dL/dB) X^T on the lower triangle (the strict upper
// triangle of L is never read, so its gradient is 0)
Tensor solve_triangular(const Tensor& l, const Tensor& b) {
  if (l.dim() < 2 || b.dim() != l.dim() || l.size(-1) != l.size(-2) || b.size(-2) != l.size(-1))
    fail("solve_triangular: expected L of shape [..., d, d] and B of shape [..., d, n] with the "
         "same leading axes, got {} and {}",
         l.shape(), b.shape());
  for (int i = 0; i + 2 < l.dim(); ++i)
    if (l.shape()[i] != b.shape()[i])
      fail("solve_triangular: the leading axes of L {} and B {} differ", l.shape(), b.shape());
  if (l.dtype() != b.dtype() || !is_floating(l.dtype()))
    fail("solve_triangular: expected two float32 or two float64 tensors, got {} and {}", l.dtype(),
         b.dtype());
  const std::int64_t d = l.size(-1), n = b.size(-1), batch = l.shape().outer(l.dim() - 2);
  Tensor x = empty_like(b);
  dispatch_floating(l.dtype(), "solve_triangular", [&]<class T>() {
    const T* data = l.data_ptr<T>();
    for (std::int64_t s = 0; s < batch; ++s)
      for (std::int64_t i = 0; i < d; ++i)
        if (data[(s * d + i) * d + i] == T(0) || !std::isfinite(data[(s * d + i) * d + i]))
          fail("solve_triangular: L is singular (diagonal entry {} of matrix {} is {})", i, s,
               data[(s * d + i) * d + i]);
    kernels::solve_lower(data, b.data_ptr<T>(), x.data_ptr<T>(), batch, d, n);
  });
  return record("solve_triangular", x, {l, b}, [l, b, x, batch, d, n](const Tensor& gx) {
    Tensor gb = empty_like(b);
    dispatch_floating(l.dtype(), "solve_triangular", [&]<class T>() {
      kernels::solve_lower_transposed(l.data_ptr<T>(), gx.data_ptr<T>(), gb.data_ptr<T>(), batch, d,
                                      n);
    });
    if (l.requires_grad()) {
      Tensor gl = zeros_like(l);
      dispatch_floating(l.dtype(), "solve_triangular", [&]<class T>() {
        const T *g = gb.data_ptr<T>(), *X = x.data_ptr<T>();
        T* out = gl.data_ptr<T>();
        for (std::int64_t s = 0; s < batch; ++s)
          for (std::int64_t i = 0; i < d; ++i)
            for (std::int64_t j = 0; j <= i; ++j) {
              T acc = 0;
              for (std::int64_t c = 0; c < n; ++c)
                acc += g[(s * d + i) * n + c] * X[(s * d + j) * n + c];
              out[(s * d + i) * d + j] = -acc;
            }
      });
      accumulate_grad(l, std::move(gl));
    }
    accumulate_grad(b, std::move(gb));
  });
}

} // namespace tapegrad

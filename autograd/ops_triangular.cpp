// solve_triangular: X = op(A)^-1 B for triangular A, the step that turns a Cholesky factor into a
// Mahalanobis distance (a full-covariance Gaussian's log-density) without forming an inverse.
#include "autograd/broadcast.hpp"
#include "autograd/kernels/triangular.hpp"
#include "autograd/ops.hpp"

#include <cmath>
#include <vector>

namespace tapegrad {

namespace {

// A zero or infinite diagonal entry makes the system singular; a NaN is passed on as NaN.
void check_not_singular(const Tensor& a, const kernels::TriangularSystem& system) {
  if (system.unit)
    return;
  dispatch_floating(a.dtype(), "solve_triangular", [&]<class T>() {
    const T* data = a.data_ptr<T>();
    const std::int64_t d = system.d, matrices = a.shape().outer(a.dim() - 2);
    for (std::int64_t s = 0; s < matrices; ++s)
      for (std::int64_t i = 0; i < d; ++i) {
        const T entry = data[(s * d + i) * d + i];
        if (entry == T(0) || std::isinf(entry))
          fail("solve_triangular: A is singular (diagonal entry {} of matrix {} is {})", i, s,
               entry);
      }
  });
}

} // namespace

// X = op(A)^-1 B;  dL/dB = op(A)^-T dL/dX,  dL/d op(A) = -(dL/dB) X^T on the triangle that is read
// (its transpose for dL/dA when op(A) = A^T). A shared A (or B) gets the sum over the outputs that
// read it.
Tensor solve_triangular(const Tensor& a, const Tensor& b, const SolveTriangularOptions& options) {
  const std::int64_t d = a.dim() >= 2 ? a.size(-1) : -1;
  const std::int64_t b_rows = b.dim() >= 2 ? (options.left ? b.size(-2) : b.size(-1)) : -2;
  if (a.dim() < 2 || a.size(-2) != d || b_rows != d)
    fail("solve_triangular: expected A of shape [..., d, d] and B of shape {}, got {} and {}",
         options.left ? "[..., d, n]" : "[..., n, d] (left = false)", a.shape(), b.shape());
  if (a.dtype() != b.dtype() || !is_floating(a.dtype()))
    fail("solve_triangular: expected two float32 or two float64 tensors, got {} and {}", a.dtype(),
         b.dtype());
  if (!options.left) { // X op(A) = B  <=>  op(A)^T X^T = B^T
    SolveTriangularOptions transposed = options;
    transposed.left = true;
    transposed.transpose = !options.transpose;
    return solve_triangular(a, b.mT(), transposed).mT();
  }
  const std::int64_t n = b.size(-1);
  const BatchPlan batches = plan_batches(a.shape(), b.shape(), "solve_triangular");
  Shape out_shape = batches.shape;
  out_shape.push_back(d);
  out_shape.push_back(n);
  const kernels::TriangularSystem system{options.upper, options.transpose, options.unitriangular,
                                         d};
  check_not_singular(a, system);
  Tensor x = empty(out_shape, b.dtype());
  dispatch_floating(a.dtype(), "solve_triangular", [&]<class T>() {
    kernels::for_each_broadcast(
        batches.plan, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
          kernels::solve_triangular(system, a.data_ptr<T>() + ia * d * d,
                                    b.data_ptr<T>() + ib * d * n, x.data_ptr<T>() + i * d * n, n);
        });
  });
  return record("solve_triangular", x, {a, b}, [a, b, x, system, n](const Tensor& gx) {
    const kernels::BroadcastPlan plan = plan_batches(a.shape(), b.shape(), "solve_triangular").plan;
    const std::int64_t d = system.d;
    kernels::TriangularSystem adjoint = system; // op(A)^T: the same matrix, the other way round
    adjoint.transpose = !system.transpose;
    Tensor gb = empty_like(x); // one per output matrix; summed below where B is shared
    Tensor ga = a.requires_grad() ? zeros_like(a) : Tensor();
    dispatch_floating(a.dtype(), "solve_triangular", [&]<class T>() {
      std::vector<bool> written(static_cast<std::size_t>(a.shape().outer(a.dim() - 2)), false);
      kernels::for_each_broadcast(plan, [&](std::int64_t i, std::int64_t ia, std::int64_t) {
        T* g = gb.data_ptr<T>() + i * d * n;
        kernels::solve_triangular(adjoint, a.data_ptr<T>() + ia * d * d,
                                  gx.data_ptr<T>() + i * d * n, g, n);
        if (ga.defined())
          kernels::solve_triangular_grad_a(system, g, x.data_ptr<T>() + i * d * n,
                                           ga.data_ptr<T>() + ia * d * d, n,
                                           written[static_cast<std::size_t>(ia)]);
        written[static_cast<std::size_t>(ia)] = true;
      });
      if (b.requires_grad() && !(b.shape() == x.shape())) { // B was shared: sum its gradients
        Tensor summed = zeros_like(b);
        kernels::for_each_broadcast(plan, [&](std::int64_t i, std::int64_t, std::int64_t ib) {
          kernels::add_into(summed.data_ptr<T>() + ib * d * n, gb.data_ptr<T>() + i * d * n, d * n);
        });
        gb = std::move(summed);
      }
    });
    if (ga.defined())
      accumulate_grad(a, std::move(ga));
    accumulate_grad(b, std::move(gb));
  });
}

} // namespace tapegrad

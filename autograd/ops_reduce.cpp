// Reductions along an axis (sum, max, logsumexp) and log_softmax. A tensor is viewed as
// [outer, n, inner] around the axis, so one loop serves every axis of every rank.
#include "autograd/kernels/reduce_simd.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {

namespace {

struct Reduction {
  int axis;
  kernels::AxisView view;
  Shape out_shape; // with keepdim applied
};

Reduction plan_reduction(const Tensor& x, std::int64_t axis, bool keepdim, const char* op) {
  if (!is_floating(x.dtype()))
    fail("{}: expected a float32 or float64 tensor, got {}", op, x.dtype());
  const Shape& s = x.shape();
  const int a = normalize_axis(axis, s.rank(), op);
  Shape out;
  for (int i = 0; i < s.rank(); ++i) {
    if (i != a)
      out.push_back(s[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return {a, {s.outer(a), s[a], s.inner(a)}, out};
}

// A reduction over every element is one along axis 0 of the flattened tensor.
Tensor flat(const Tensor& x) {
  return reshape(x, {-1});
}

} // namespace

// y = sum_j x_j;  dL/dx_j = dL/dy
Tensor sum(const Tensor& x, std::int64_t axis, bool keepdim) {
  const Reduction r = plan_reduction(x, axis, keepdim, "sum");
  Tensor y = empty(r.out_shape, x.dtype());
  dispatch_floating(x.dtype(), "sum", [&]<class T>() {
    kernels::sum_axis_forward(x.data_ptr<T>(), y.data_ptr<T>(), r.view);
  });
  return record("sum", y, {x}, [x, r](const Tensor& gy) {
    Tensor gx = empty_like(x);
    dispatch_floating(x.dtype(), "sum", [&]<class T>() {
      kernels::sum_axis_backward(gy.data_ptr<T>(), gx.data_ptr<T>(), r.view);
    });
    accumulate_grad(x, std::move(gx));
  });
}

Tensor sum(const Tensor& x) {
  return sum(flat(x), 0);
}

Tensor mean(const Tensor& x, std::int64_t axis, bool keepdim) {
  const int a = normalize_axis(axis, x.dim(), "mean");
  return sum(x, a, keepdim) / static_cast<double>(x.shape()[a]);
}

Tensor mean(const Tensor& x) {
  return sum(x) / static_cast<double>(x.numel());
}

// y = max_j x_j;  dL/dx_j = dL/dy where x_j = y (shared among ties), 0 elsewhere
Tensor max(const Tensor& x, std::int64_t axis, bool keepdim) {
  const Reduction r = plan_reduction(x, axis, keepdim, "max");
  if (r.view.n == 0)
    fail("max: cannot reduce an empty axis (axis {} of shape {})", axis, x.shape());
  Tensor y = empty(r.out_shape, x.dtype());
  dispatch_floating(x.dtype(), "max", [&]<class T>() {
    kernels::max_axis_forward(x.data_ptr<T>(), y.data_ptr<T>(), r.view);
  });
  return record("max", y, {x}, [x, y, r](const Tensor& gy) {
    Tensor gx = empty_like(x);
    dispatch_floating(x.dtype(), "max", [&]<class T>() {
      kernels::max_axis_backward(x.data_ptr<T>(), y.data_ptr<T>(), gy.data_ptr<T>(),
                                 gx.data_ptr<T>(), r.view);
    });
    accumulate_grad(x, std::move(gx));
  });
}

Tensor max(const Tensor& x) {
  return max(flat(x), 0);
}

// y = log sum_j exp(x_j);  dL/dx_j = dL/dy * exp(x_j - y)
Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdim) {
  const Reduction r = plan_reduction(x, axis, keepdim, "logsumexp");
  Tensor y = empty(r.out_shape, x.dtype());
  dispatch_floating(x.dtype(), "logsumexp", [&]<class T>() {
    kernels::logsumexp_axis_forward(x.data_ptr<T>(), y.data_ptr<T>(), r.view);
  });
  return record("logsumexp", y, {x}, [x, y, r](const Tensor& gy) {
    Tensor gx = empty_like(x);
    dispatch_floating(x.dtype(), "logsumexp", [&]<class T>() {
      kernels::logsumexp_axis_backward(x.data_ptr<T>(), y.data_ptr<T>(), gy.data_ptr<T>(),
                                       gx.data_ptr<T>(), r.view);
    });
    accumulate_grad(x, std::move(gx));
  });
}

// y_j = x_j - logsumexp(x);  dL/dx_j = dL/dy_j - exp(y_j) * sum_k dL/dy_k
Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  const Reduction r = plan_reduction(x, axis, true, "log_softmax");
  Tensor y = empty_like(x);
  dispatch_floating(x.dtype(), "log_softmax", [&]<class T>() {
    kernels::log_softmax_axis_forward(x.data_ptr<T>(), y.data_ptr<T>(), r.view);
  });
  return record("log_softmax", y, {x}, [x, y, r](const Tensor& gy) {
    Tensor gx = empty_like(x);
    dispatch_floating(x.dtype(), "log_softmax", [&]<class T>() {
      kernels::log_softmax_axis_backward(y.data_ptr<T>(), gy.data_ptr<T>(), gx.data_ptr<T>(),
                                         r.view);
    });
    accumulate_grad(x, std::move(gx));
  });
}

Tensor softmax(const Tensor& x, std::int64_t axis) {
  return exp(log_softmax(x, axis));
}

} // namespace tapegrad

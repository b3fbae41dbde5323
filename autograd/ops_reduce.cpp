// Reductions along an axis (sum, mean, amax/amin, max/min with indices, logsumexp), softmax and
// log_softmax. A tensor is viewed as [outer, n, inner] around the axis, so one loop serves every
// axis of every rank.
#include "autograd/kernels/elementwise_simd.hpp"
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
  if (s.rank() == 0) { // as PyTorch: a 0-D tensor has one axis of size 1, addressed as 0 or -1
    normalize_axis(axis, 1, op);
    return {0, {1, 1, 1}, Shape{}};
  }
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

// max, min and their kin have no value over an empty axis.
Reduction plan_extreme(const Tensor& x, std::int64_t axis, bool keepdim, const char* op) {
  const Reduction r = plan_reduction(x, axis, keepdim, op);
  if (r.view.n == 0)
    fail("{}: cannot reduce an empty axis (axis {} of shape {})", op, axis, x.shape());
  return r;
}

// A reduction over every element is one along axis 0 of the flattened tensor.
Tensor flat(const Tensor& x) {
  return reshape(x, {-1});
}

// y = max_j x_j (Max) or min_j x_j;  dL/dx_j = dL/dy / ties where x_j = y (shared among the ties),
// 0 elsewhere
template <bool Max>
Tensor extreme_values(const Tensor& x, std::int64_t axis, bool keepdim, const char* op) {
  const Reduction r = plan_extreme(x, axis, keepdim, op);
  Tensor y = empty(r.out_shape, x.dtype());
  dispatch_floating(x.dtype(), op, [&]<class T>() {
    kernels::extreme_axis_forward<Max>(x.data_ptr<T>(), y.data_ptr<T>(), r.view);
  });
  return record(op, y, {x}, [x, y, r, op](const Tensor& gy) {
    Tensor gx = empty_like(x);
    dispatch_floating(x.dtype(), op, [&]<class T>() {
      kernels::extreme_axis_backward(x.data_ptr<T>(), y.data_ptr<T>(), gy.data_ptr<T>(),
                                     gx.data_ptr<T>(), r.view);
    });
    accumulate_grad(x, std::move(gx));
  });
}

// The values and (int64) indices of the first extremes along an axis, unrecorded.
template <bool Max>
ValuesAndIndices find_extremes(const Tensor& x, const Reduction& r, const char* op) {
  Tensor values = empty(r.out_shape, x.dtype()), indices = empty(r.out_shape, kInt64);
  dispatch_floating(x.dtype(), op, [&]<class T>() {
    kernels::extreme_axis_forward<Max>(x.data_ptr<T>(), values.data_ptr<T>(),
                                       indices.data_ptr<std::int64_t>(), r.view);
  });
  return {values, indices};
}

// values = max_j x_j (Max) or min_j x_j, indices = the first j holding it;  dL/dx_j = dL/dvalues
// at j = index, 0 elsewhere
template <bool Max>
ValuesAndIndices extremes_with_indices(const Tensor& x, std::int64_t axis, bool keepdim,
                                       const char* op) {
  const Reduction r = plan_extreme(x, axis, keepdim, op);
  ValuesAndIndices found = find_extremes<Max>(x, r, op);
  const Tensor indices = found.indices;
  found.values = record(op, found.values, {x}, [x, indices, r, op](const Tensor& g_values) {
    Tensor gx = empty_like(x);
    dispatch_floating(x.dtype(), op, [&]<class T>() {
      kernels::picked_axis_backward(g_values.data_ptr<T>(), indices.data_ptr<std::int64_t>(),
                                    gx.data_ptr<T>(), r.view);
    });
    accumulate_grad(x, std::move(gx));
  });
  return found;
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

// y = (sum_j x_j) / n;  dL/dx_j = dL/dy * (1 / n)
Tensor mean(const Tensor& x, std::int64_t axis, bool keepdim) {
  const Reduction r = plan_reduction(x, axis, keepdim, "mean");
  Tensor y = empty(r.out_shape, x.dtype());
  dispatch_floating(x.dtype(), "mean", [&]<class T>() {
    kernels::sum_axis_forward(x.data_ptr<T>(), y.data_ptr<T>(), r.view);
    T* out = y.data_ptr<T>();
    for (std::int64_t i = 0; i < y.numel(); ++i)
      out[i] = out[i] / static_cast<T>(static_cast<double>(r.view.n));
  });
  return record("mean", y, {x}, [x, r](const Tensor& gy) {
    Tensor g_sum = empty_like(gy), gx = empty_like(x);
    dispatch_floating(x.dtype(), "mean", [&]<class T>() {
      const T scale = T(1) / static_cast<T>(static_cast<double>(r.view.n)),
              *from = gy.data_ptr<T>();
      T* into = g_sum.data_ptr<T>();
      for (std::int64_t i = 0; i < gy.numel(); ++i)
        into[i] = from[i] * scale;
      kernels::sum_axis_backward(into, gx.data_ptr<T>(), r.view);
    });
    accumulate_grad(x, std::move(gx));
  });
}

Tensor mean(const Tensor& x) {
  return mean(flat(x), 0);
}

Tensor amax(const Tensor& x, std::int64_t axis, bool keepdim) {
  return extreme_values<true>(x, axis, keepdim, "amax");
}
Tensor amax(const Tensor& x) {
  return extreme_values<true>(flat(x), 0, false, "amax");
}
Tensor amin(const Tensor& x, std::int64_t axis, bool keepdim) {
  return extreme_values<false>(x, axis, keepdim, "amin");
}
Tensor amin(const Tensor& x) {
  return extreme_values<false>(flat(x), 0, false, "amin");
}

Tensor max(const Tensor& x) {
  return extreme_values<true>(flat(x), 0, false, "max");
}
ValuesAndIndices max(const Tensor& x, std::int64_t axis, bool keepdim) {
  return extremes_with_indices<true>(x, axis, keepdim, "max");
}
Tensor min(const Tensor& x) {
  return extreme_values<false>(flat(x), 0, false, "min");
}
ValuesAndIndices min(const Tensor& x, std::int64_t axis, bool keepdim) {
  return extremes_with_indices<false>(x, axis, keepdim, "min");
}

// Indices are not differentiable: nothing is recorded.
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim) {
  return find_extremes<true>(x, plan_extreme(x, axis, keepdim, "argmax"), "argmax").indices;
}
Tensor argmax(const Tensor& x) {
  return argmax(flat(x), 0);
}
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim) {
  return find_extremes<false>(x, plan_extreme(x, axis, keepdim, "argmin"), "argmin").indices;
}
Tensor argmin(const Tensor& x) {
  return argmin(flat(x), 0);
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

// y = exp(log_softmax(x)), in one record;  dL/dx = log_softmax's backward applied to dL/dy * y
Tensor softmax(const Tensor& x, std::int64_t axis) {
  const Reduction r = plan_reduction(x, axis, true, "softmax");
  Tensor log_y = empty_like(x), y = empty_like(x);
  dispatch_floating(x.dtype(), "softmax", [&]<class T>() {
    kernels::log_softmax_axis_forward(x.data_ptr<T>(), log_y.data_ptr<T>(), r.view);
    kernels::unary_forward<kernels::exp_op>(log_y.data_ptr<T>(), y.data_ptr<T>(), y.numel(), T(0),
                                            T(0));
  });
  return record("softmax", y, {x}, [x, log_y, y, r](const Tensor& gy) {
    Tensor g_log_y = empty_like(x), gx = empty_like(x);
    dispatch_floating(x.dtype(), "softmax", [&]<class T>() {
      kernels::unary_backward<kernels::exp_op>(log_y.data_ptr<T>(), y.data_ptr<T>(),
                                               gy.data_ptr<T>(), g_log_y.data_ptr<T>(), y.numel(),
                                               T(0), T(0));
      kernels::log_softmax_axis_backward(log_y.data_ptr<T>(), g_log_y.data_ptr<T>(),
                                         gx.data_ptr<T>(), r.view);
    });
    accumulate_grad(x, std::move(gx));
  });
}

} // namespace tapegrad

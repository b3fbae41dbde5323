// Matrix products and transposes. matmul's three products (forward, dA, dB) are all the one
// GEMM kernel with transpose flags, so no transposed copy is ever made; batch axes broadcast by
// walking the batch with a BroadcastPlan, so no operand is ever expanded either.
#include "autograd/broadcast.hpp"
#include "autograd/kernels/elementwise.hpp"
#include "autograd/kernels/gemm.hpp"
#include "autograd/kernels/reduce_simd.hpp"
#include "autograd/ops.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace tapegrad {

namespace {

// For a backward whose kernel can add its result in place (a GEMM with beta = 1): calls
// write(slot, accumulate) with the input's gradient slot and accumulate = true, or, when the slot
// is still empty, with a new buffer of the input's shape to overwrite (accumulate = false), which
// then becomes the slot. Saves the temporary and the pass of accumulate_grad. Does nothing if the
// input does not require grad.
template <class Write> void accumulate_grad_in_place(const Tensor& input, Write&& write) {
  TensorImpl& target = *input.impl();
  if (!target.requires_grad)
    return;
  if (target.grad) {
    write(Tensor(target.grad), true);
    return;
  }
  Tensor slot = empty(target.shape, target.dtype);
  write(slot, false);
  target.grad = slot.impl_ptr();
}

// C_i = A_i B_i for every output matrix i of the broadcast batch;  dL/dA_i = dL/dC_i B_i^T and
// dL/dB_i = A_i^T dL/dC_i, summed over the outputs that share A_i (or B_i).
//   a: [..., m, k]     b: [..., k, n]     c: [broadcast batch..., m, n]
Tensor batched_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  if (b.size(-2) != k)
    fail("matmul: shapes {} and {} do not multiply (expected [..., m, k] and [..., k, n])",
         a.shape(), b.shape());
  if (a.dtype() != b.dtype())
    fail("matmul: dtypes differ ({} and {}); convert one with .to()", a.dtype(), b.dtype());
  const BatchPlan batches = plan_batches(a.shape(), b.shape(), "matmul");
  Shape out_shape = batches.shape;
  out_shape.push_back(m);
  out_shape.push_back(n);
  if (out_shape.numel() == 0 || k == 0) {
    // Nothing to multiply (an empty batch or matrix) or sums of nothing: C is zeros, and so are
    // the gradients, for which the GEMM is never called.
    return record("matmul", zeros(out_shape, a.dtype()), {a, b}, [a, b](const Tensor&) {
      accumulate_grad(a, zeros_like(a));
      accumulate_grad(b, zeros_like(b));
    });
  }
  Tensor c = empty(out_shape, a.dtype());
  dispatch_floating(a.dtype(), "matmul", [&]<class T>() {
    const kernels::GemmArgs args{false, false, m, n, k, k, n, n};
    kernels::for_each_broadcast(
        batches.plan, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
          kernels::gemm<T>(args, T(1), a.data_ptr<T>() + ia * m * k, b.data_ptr<T>() + ib * k * n,
                           T(0), c.data_ptr<T>() + i * m * n);
        });
  });
  return record("matmul", c, {a, b}, [a, b, m, k, n](const Tensor& gc) {
    const kernels::BroadcastPlan plan = plan_batches(a.shape(), b.shape(), "matmul").plan;
    dispatch_floating(a.dtype(), "matmul", [&]<class T>() {
      const T* g = gc.data_ptr<T>();
      // Runs product(i, ia, ib) -> {left, right} for each output matrix i and writes it into the
      // input's gradient matrix (ia for a, ib for b): the first product written there overwrites
      // it (beta = 0), later ones add to it (beta = 1), in the order of the output's batches.
      const auto gemm_into = [&](const Tensor& input, bool for_a, const kernels::GemmArgs& args,
                                 auto product) {
        Tensor grad = empty_like(input);
        std::vector<bool> written(static_cast<std::size_t>(input.shape().outer(input.dim() - 2)),
                                  false);
        kernels::for_each_broadcast(plan, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
          const auto slot = static_cast<std::size_t>(for_a ? ia : ib);
          const auto [left, right] = product(i, ia, ib);
          kernels::gemm<T>(args, T(1), left, right, T(written[slot] ? 1 : 0),
                           grad.data_ptr<T>() + static_cast<std::int64_t>(slot) * args.m * args.n);
          written[slot] = true;
        });
        accumulate_grad(input, std::move(grad));
      };
      if (a.requires_grad()) // dA_i = dC_i B_i^T
        gemm_into(a, true, {false, true, m, k, n, n, n, k},
                  [&](std::int64_t i, std::int64_t, std::int64_t ib) {
                    return std::pair{g + i * m * n, b.data_ptr<T>() + ib * k * n};
                  });
      if (b.requires_grad()) // dB_i = A_i^T dC_i
        gemm_into(b, false, {true, false, k, n, m, k, n, n},
                  [&](std::int64_t i, std::int64_t ia, std::int64_t) {
                    return std::pair{a.data_ptr<T>() + ia * m * k, g + i * m * n};
                  });
    });
  });
}

} // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (!is_floating(a.dtype()) || !is_floating(b.dtype()))
    fail("matmul: expected float32 or float64 tensors, got {} and {}", a.dtype(), b.dtype());
  if (a.dim() < 1 || b.dim() < 1)
    fail("matmul: expected tensors of at least 1 dimension, got shapes {} and {}", a.shape(),
         b.shape());
  // Vectors, as NumPy: a 1-D left operand is a row, a 1-D right operand a column, and the added
  // axis is removed from the result; two vectors give their dot product, of shape [].
  if (a.dim() == 1 && b.dim() == 1)
    return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  if (a.dim() == 1)
    return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1)
    return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  return batched_matmul(a, b);
}

// y = x W^T + b;  dL/dx = dL/dy W,  dL/dW = (dL/dy)^T x,  dL/db = sum over rows of dL/dy
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const bool has_bias = bias.defined();
  if (x.dim() != 2 || weight.dim() != 2 || x.size(1) != weight.size(1) ||
      (has_bias && !(bias.shape() == Shape{weight.size(0)})))
    fail("linear: expected x [n, in], weight [out, in] and bias [out], got {}, {} and {}",
         x.shape(), weight.shape(), has_bias ? fmt::format("{}", bias.shape()) : "none");
  if (!is_floating(x.dtype()) || weight.dtype() != x.dtype() ||
      (has_bias && bias.dtype() != x.dtype()))
    fail("linear: expected x, weight and bias of one floating dtype, got {} and {}", x.dtype(),
         weight.dtype());
  const std::int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
  Tensor y = empty({n, out}, x.dtype());
  dispatch_floating(x.dtype(), "linear", [&]<class T>() {
    T* y_data = y.data_ptr<T>();
    if (has_bias) // every row starts as b, and the GEMM adds x W^T to it
      for (std::int64_t i = 0; i < n; ++i)
        std::copy_n(bias.data_ptr<T>(), out, y_data + i * out);
    kernels::gemm<T>({false, true, n, out, in, in, in, out}, T(1), x.data_ptr<T>(),
                     weight.data_ptr<T>(), T(has_bias ? 1 : 0), y_data);
  });
  auto backward = [x, weight, bias, n, in, out](const Tensor& gy) {
    dispatch_floating(x.dtype(), "linear", [&]<class T>() {
      const T* g = gy.data_ptr<T>();
      if (x.requires_grad()) { // dX = dY W
        Tensor gx = empty_like(x);
        kernels::gemm<T>({false, false, n, in, out, out, in, in}, T(1), g, weight.data_ptr<T>(),
                         T(0), gx.data_ptr<T>());
        accumulate_grad(x, std::move(gx));
      }
      accumulate_grad_in_place(weight, [&](const Tensor& gw, bool accumulate) { // dW = dY^T X
        kernels::gemm<T>({true, false, out, in, n, out, in, in}, T(1), g, x.data_ptr<T>(),
                         T(accumulate ? 1 : 0), gw.data_ptr<T>());
      });
      if (bias.defined() && bias.requires_grad()) {
        Tensor gb = empty_like(bias);
        kernels::sum_axis_forward(g, gb.data_ptr<T>(), kernels::AxisView{1, n, out});
        accumulate_grad(bias, std::move(gb));
      }
    });
  };
  if (has_bias)
    return record("linear", y, {x, weight, bias}, std::move(backward));
  return record("linear", y, {x, weight}, std::move(backward));
}

// y = x with axes axis0 and axis1 swapped;  dL/dx = (dL/dy) with the same axes swapped back
Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1) {
  const Shape& s = x.shape();
  const int p = normalize_axis(axis0, s.rank(), "transpose"),
            q = normalize_axis(axis1, s.rank(), "transpose");
  Shape out = s;
  std::swap(out[p], out[q]);
  kernels::BroadcastPlan plan;
  plan.rank = s.rank();
  plan.numel = s.numel();
  std::int64_t stride = 1;
  std::array<std::int64_t, Shape::kMaxRank> x_strides{};
  for (int i = s.rank() - 1; i >= 0; --i) {
    x_strides[static_cast<std::size_t>(i)] = stride;
    stride *= s[i];
  }
  std::swap(x_strides[static_cast<std::size_t>(p)], x_strides[static_cast<std::size_t>(q)]);
  for (int i = 0; i < s.rank(); ++i) {
    plan.size[static_cast<std::size_t>(i)] = out[i];
    plan.stride_a[static_cast<std::size_t>(i)] = x_strides[static_cast<std::size_t>(i)];
  }
  Tensor y = empty(out, x.dtype());
  dispatch_all(x.dtype(),
               [&]<class T>() { kernels::strided_copy(x.data_ptr<T>(), y.data_ptr<T>(), plan); });
  return record("transpose", y, {x},
                [x, p, q](const Tensor& gy) { accumulate_grad(x, transpose(gy, p, q)); });
}

} // namespace tapegrad

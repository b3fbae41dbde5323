// Matrix products and transposes. matmul's three products (forward, dA, dB) are all the one
// GEMM kernel with transpose flags, so no transposed copy is ever made.
#include "autograd/kernels/elementwise.hpp"
#include "autograd/kernels/gemm.hpp"
#include "autograd/kernels/reduce_simd.hpp"
#include "autograd/ops.hpp"

#include <algorithm>

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

// C_i = A_i B_i over a batch, where a 2-D operand or a batch of one is shared by every batch.
//   a: [batch, m, k] or [m, k]     b: [batch, k, n] or [k, n]     c: [batch, m, n] or [m, n]
Tensor batched_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t a_batch = a.dim() == 3 ? a.size(0) : 1, b_batch = b.dim() == 3 ? b.size(0) : 1;
  const std::int64_t batch = std::max(a_batch, b_batch);
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  if (b.size(-2) != k || (a_batch != b_batch && a_batch != 1 && b_batch != 1))
    fail(
        "matmul: shapes {} and {} do not multiply (expected [..., m, k] and [..., k, n] with batch "
        "sizes that are equal or 1)",
        a.shape(), b.shape());
  if (a.dtype() != b.dtype())
    fail("matmul: dtypes differ ({} and {}); convert one with .to()", a.dtype(), b.dtype());
  // A batch of one, or a 2-D operand, is shared by every batch: it steps by 0.
  const std::int64_t a_step = a_batch == batch && batch > 1 ? m * k : 0;
  const std::int64_t b_step = b_batch == batch && batch > 1 ? k * n : 0;
  Tensor c = empty(a.dim() == 3 || b.dim() == 3 ? Shape{batch, m, n} : Shape{m, n}, a.dtype());
  dispatch_floating(a.dtype(), "matmul", [&]<class T>() {
    const kernels::GemmArgs args{false, false, m, n, k, k, n, n};
    for (std::int64_t i = 0; i < batch; ++i)
      kernels::gemm<T>(args, T(1), a.data_ptr<T>() + i * a_step, b.data_ptr<T>() + i * b_step, T(0),
                       c.data_ptr<T>() + i * m * n);
  });
  return record("matmul", c, {a, b}, [a, b, batch, m, k, n, a_step, b_step](const Tensor& gc) {
    dispatch_floating(a.dtype(), "matmul", [&]<class T>() {
      const T* gc_data = gc.data_ptr<T>();
      if (a.requires_grad()) { // dA_i = dC_i B_i^T, summed over the batch when A is shared
        Tensor ga = empty_like(a);
        const kernels::GemmArgs args{false, true, m, k, n, n, n, k};
        for (std::int64_t i = 0; i < batch; ++i)
          kernels::gemm<T>(args, T(1), gc_data + i * m * n, b.data_ptr<T>() + i * b_step,
                           T(a_step == 0 && i > 0), ga.data_ptr<T>() + i * a_step);
        accumulate_grad(a, std::move(ga));
      }
      if (b.requires_grad()) { // dB_i = A_i^T dC_i, summed over the batch when B is shared
        Tensor gb = empty_like(b);
        const kernels::GemmArgs args{true, false, k, n, m, k, n, n};
        for (std::int64_t i = 0; i < batch; ++i)
          kernels::gemm<T>(args, T(1), a.data_ptr<T>() + i * a_step, gc_data + i * m * n,
                           T(b_step == 0 && i > 0), gb.data_ptr<T>() + i * b_step);
        accumulate_grad(b, std::move(gb));
      }
    });
  });
}

} // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (!is_floating(a.dtype()) || !is_floating(b.dtype()))
    fail("matmul: expected float32 or float64 tensors, got {} and {}", a.dtype(), b.dtype());
  if (a.dim() < 1 || a.dim() > 3 || b.dim() < 1 || b.dim() > 3)
    fail("matmul: expected 1-D, 2-D or 3-D tensors, got shapes {} and {}", a.shape(), b.shape());
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

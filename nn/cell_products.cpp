#include "nn/cell_products.hpp"

#include "autograd/kernels/gemm.hpp"
#include "autograd/tape.hpp"

#include <algorithm>

namespace tapegrad::nn::detail {

namespace {

template <class T> void add_column_sums(const T* g, std::int64_t rows, std::int64_t cols, T* out) {
  for (std::int64_t r = 0; r < rows; ++r) { // rows in order: the same sum on any thread count
    const T* row = g + r * cols;
#pragma omp simd
    for (std::int64_t j = 0; j < cols; ++j)
      out[j] += row[j];
  }
}

} // namespace

Tensor affine(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  Tensor out = empty({x.size(0), weight.size(0)}, x.dtype());
  dispatch_floating(x.dtype(), "affine", [&]<class T>() {
    const std::int64_t n = x.size(0), g = weight.size(0);
    T* data = out.data_ptr<T>();
    for (std::int64_t i = 0; i < n; ++i) // every row starts as b, and the GEMM adds x W^T
      std::copy_n(bias.data_ptr<T>(), g, data + i * g);
  });
  add_affine(out, x, weight, Tensor());
  return out;
}

void add_affine(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  dispatch_floating(x.dtype(), "affine", [&]<class T>() {
    const std::int64_t n = x.size(0), in = x.size(1), g = weight.size(0);
    T* data = out.data_ptr<T>();
    if (bias.defined()) {
      const T* b = bias.data_ptr<T>();
      for (std::int64_t i = 0; i < n; ++i)
#pragma omp simd
        for (std::int64_t j = 0; j < g; ++j)
          data[i * g + j] += b[j];
    }
    tapegrad::kernels::gemm<T>({false, true, n, g, in, in, in, g}, T(1), x.data_ptr<T>(),
                               weight.data_ptr<T>(), T(1), data);
  });
}

Tensor affine_backward(const Tensor& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                       Tensor dx) {
  dispatch_floating(x.dtype(), "affine", [&]<class T>() {
    const std::int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
    const T* grad = g.data_ptr<T>();
    if (dx.defined() || x.requires_grad()) { // dX = dY W, added into dx when it is given
      const bool add = dx.defined();
      if (!add)
        dx = empty_like(x);
      tapegrad::kernels::gemm<T>({false, false, n, in, out, out, in, in}, T(1), grad,
                                 weight.data_ptr<T>(), T(add ? 1 : 0), dx.data_ptr<T>());
    }
    if (weight.requires_grad()) { // dW = dY^T X
      Tensor gw = empty_like(weight);
      tapegrad::kernels::gemm<T>({true, false, out, in, n, out, in, in}, T(1), grad,
                                 x.data_ptr<T>(), T(0), gw.data_ptr<T>());
      accumulate_grad(weight, std::move(gw));
    }
    if (bias.requires_grad()) { // db = the column sums of dY
      Tensor gb = zeros_like(bias);
      add_column_sums(grad, n, out, gb.data_ptr<T>());
      accumulate_grad(bias, std::move(gb));
    }
  });
  return dx;
}

void check_cell_operands(const char* op, std::int64_t gates, std::int64_t state_parts,
                         const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                         const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                         const Tensor& mask) {
  if (weight_hh.dim() != 2 || weight_hh.size(0) != gates * weight_hh.size(1) ||
      weight_hh.size(1) == 0)
    fail("{}: weight_hh has shape {}, expected [{} * hidden, hidden] with hidden > 0", op,
         weight_hh.shape(), gates);
  const std::int64_t hidden = weight_hh.size(1), g = gates * hidden;
  if (x.dim() != 2 || x.size(1) == 0)
    fail("{}: the input has shape {}, expected [batch, features] with features > 0", op, x.shape());
  const std::int64_t n = x.size(0), in = x.size(1);
  if (!(weight_ih.shape() == Shape{g, in}))
    fail("{}: weight_ih has shape {}, expected [{}, {}] for an input of shape {} and hidden size "
         "{}",
         op, weight_ih.shape(), g, in, x.shape(), hidden);
  if (!(bias_ih.shape() == Shape{g}) || !(bias_hh.shape() == Shape{g}))
    fail("{}: the biases have shapes {} and {}, expected [{}] each", op, bias_ih.shape(),
         bias_hh.shape(), g);
  if (!(state.shape() == Shape{n, state_parts * hidden}))
    fail("{}: the state has shape {}, expected [{}, {}] ({}) for an input of shape {}", op,
         state.shape(), n, state_parts * hidden, state_parts == 1 ? "h" : "h then c", x.shape());
  const DType dtype = x.dtype();
  if (!is_floating(dtype))
    fail("{}: expected a float32 or float64 input, got {}", op, dtype);
  for (const Tensor* t : {&state, &weight_ih, &weight_hh, &bias_ih, &bias_hh})
    if (t->dtype() != dtype)
      fail("{}: the input is {} but the state or a weight is {}; convert with .to()", op, dtype,
           t->dtype());
  if (!mask.defined())
    return;
  if (!(mask.shape() == Shape{n}) || mask.dtype() != dtype)
    fail("{}: the mask has shape {} and dtype {}, expected [{}] of {}", op, mask.shape(),
         mask.dtype(), n, dtype);
  dispatch_floating(dtype, op, [&]<class T>() {
    const T* m = mask.data_ptr<T>();
    for (std::int64_t i = 0; i < n; ++i)
      if (m[i] != T(0) && m[i] != T(1))
        fail("{}: mask[{}] is {}, expected 0 (padding) or 1 (a step)", op, i, m[i]);
  });
}

} // namespace tapegrad::nn::detail

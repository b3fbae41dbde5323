#include "nn/cell_products.hpp"

#include "autograd/kernels/gemm.hpp"
#include "autograd/ops.hpp"
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

Tensor transposed(const Tensor& weight) {
  NoGradGuard no_grad;
  return weight.detach().t();
}

void affine_into(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& weight_t,
                 const Tensor& bias, bool accumulate) {
  dispatch_floating(x.dtype(), "affine", [&]<class T>() {
    const std::int64_t n = x.size(0), in = x.size(1), g = weight.size(0);
    T* data = out.data_ptr<T>();
    const T* b = bias.data_ptr<T>();
    for (std::int64_t i = 0; i < n; ++i) // every row gets b, and the GEMM adds x W^T
      if (accumulate) {
#pragma omp simd
        for (std::int64_t j = 0; j < g; ++j)
          data[i * g + j] += b[j];
      } else {
        std::copy_n(b, g, data + i * g);
      }
    if (weight_t.defined()) // x (W^T): W^T is read row by row, as the GEMM wants it
      tapegrad::kernels::gemm<T>({false, false, n, g, in, in, g, g}, T(1), x.data_ptr<T>(),
                                 weight_t.data_ptr<T>(), T(1), data);
    else
      tapegrad::kernels::gemm<T>({false, true, n, g, in, in, in, g}, T(1), x.data_ptr<T>(),
                                 weight.data_ptr<T>(), T(1), data);
  });
}

template <class T>
void input_gradient(const T* g, const Tensor& weight, std::int64_t n, T* dx, std::int64_t ldx,
                    bool accumulate) {
  const std::int64_t out = weight.size(0), in = weight.size(1);
  tapegrad::kernels::gemm<T>({false, false, n, in, out, out, in, ldx}, T(1), g,
                             weight.data_ptr<T>(), T(accumulate ? 1 : 0), dx);
}
template void input_gradient<float>(const float*, const Tensor&, std::int64_t, float*, std::int64_t,
                                    bool);
template void input_gradient<double>(const double*, const Tensor&, std::int64_t, double*,
                                     std::int64_t, bool);

void accumulate_weight_gradients(const Tensor& g, const Tensor& x, const Tensor& weight,
                                 const Tensor& bias) {
  dispatch_floating(x.dtype(), "affine", [&]<class T>() {
    const std::int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
    const T* grad = g.data_ptr<T>();
    if (weight.requires_grad()) {
      // dW = dY^T X, computed as its transpose X^T dY [in, G] and turned: with few inputs (a
      // layer reading 2 features) the GEMM's tile then spans the G gates, not the 2 inputs.
      Tensor gw_t = empty({in, out}, x.dtype());
      tapegrad::kernels::gemm<T>({true, false, in, out, n, in, out, out}, T(1), x.data_ptr<T>(),
                                 grad, T(0), gw_t.data_ptr<T>());
      accumulate_grad(weight, gw_t.t());
    }
    if (bias.requires_grad()) { // db = the column sums of dY
      Tensor gb = zeros_like(bias);
      add_column_sums(grad, n, out, gb.data_ptr<T>());
      accumulate_grad(bias, std::move(gb));
    }
  });
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

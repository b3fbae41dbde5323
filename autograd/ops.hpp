#pragma once
// The differentiable ops. Names and semantics follow LibTorch; binary ops broadcast like NumPy.
// Each is defined in one of the ops_*.cpp files with its backward right below its forward.
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"

#include <vector>

namespace tapegrad {

// Element-wise, from the tables in kernels/elementwise_ops.hpp.
#define TAPEGRAD_DECLARE_UNARY_(NAME, VALUE, DERIVATIVE) Tensor NAME(const Tensor& x);
TAPEGRAD_UNARY_OPS(TAPEGRAD_DECLARE_UNARY_)
#undef TAPEGRAD_DECLARE_UNARY_
#define TAPEGRAD_DECLARE_BINARY_(NAME, VALUE, DA, DB) Tensor NAME(const Tensor& a, const Tensor& b);
TAPEGRAD_BINARY_OPS(TAPEGRAD_DECLARE_BINARY_)
#undef TAPEGRAD_DECLARE_BINARY_

Tensor pow(const Tensor& x, double exponent);
Tensor clamp(const Tensor& x, double min, double max);
// x above 0, alpha (e^x - 1) below, as torch.nn.functional.elu.
Tensor elu(const Tensor& x, double alpha = 1.0);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& x, double s);
Tensor operator-(const Tensor& x, double s);
Tensor operator*(const Tensor& x, double s);
Tensor operator/(const Tensor& x, double s);
Tensor operator+(double s, const Tensor& x);
Tensor operator-(double s, const Tensor& x);
Tensor operator*(double s, const Tensor& x);
Tensor operator/(double s, const Tensor& x);

// Reductions: over all elements (a scalar of shape []), or along one axis.
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor max(const Tensor& x); // values only; ties share the gradient, as torch.amax
Tensor max(const Tensor& x, std::int64_t axis, bool keepdim = false);
// log(sum(exp(x))) and x - logsumexp(x), shifted by the maximum: finite for inputs of ±1e4.
Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor log_softmax(const Tensor& x, std::int64_t axis);
Tensor softmax(const Tensor& x, std::int64_t axis);

// Linear algebra. matmul takes 1-D, 2-D and 3-D (batched) operands; a 2-D operand is shared by
// every batch of a 3-D one.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1);
// x W^T + b for x [n, in], W [out, in] and b [out] (or an undefined tensor: no bias), as
// torch.nn.functional.linear, in one record: no transposed copy of W, the bias added by the GEMM,
// and dW accumulated by the GEMM straight into W's gradient slot.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
// X = L^-1 B for lower-triangular L [..., d, d] and B [..., d, n] with the same leading axes, as
// torch.linalg.solve_triangular(L, B, upper=False); the strict upper triangle of L is not read.
Tensor solve_triangular(const Tensor& l, const Tensor& b);

// Shapes and indexing.
// One size may be -1, inferred from the others. Shares x's storage.
Tensor reshape(const Tensor& x, const std::vector<std::int64_t>& shape);
Tensor unsqueeze(const Tensor& x, std::int64_t axis);
Tensor squeeze(const Tensor& x, std::int64_t axis);
// Elements start, start + step, ... before end along `axis`; negative start/end count from the
// end and out-of-range bounds are clamped, as Python slices.
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t end,
             std::int64_t step = 1);
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t axis);
// index: a 1-D int64 tensor of positions along axis.
Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index);
// out[i][j][k] = x[i][index[i][j][k]][k] for axis 1; index is int64 with x's rank.
Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index);

} // namespace tapegrad

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

// NaN in gives NaN out everywhere, as in PyTorch: relu, clamp, maximum and minimum included
// (maximum(NaN, 1) is NaN, unlike std::fmax). At a tie maximum and minimum split the gradient
// evenly between a and b; at a NaN both get the full gradient (as PyTorch's).
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

// out = a where condition is non-zero (NaN counts as non-zero), b elsewhere; the three broadcast
// together, and the condition may have any dtype. Differentiable in a and b.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

// Reductions: over all elements (a scalar of shape []), or along one axis. A 0-D tensor reduces
// over axis 0 or -1 as if it had one axis of size 1, as in PyTorch. A NaN in a reduced run makes
// its result NaN (max and min too: the first NaN, and its index, win).
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, std::int64_t axis, bool keepdim = false);
// amax and amin: values only; entries that tie for the extreme share its gradient evenly.
Tensor amax(const Tensor& x);
Tensor amax(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor amin(const Tensor& x);
Tensor amin(const Tensor& x, std::int64_t axis, bool keepdim = false);
// max(x) and min(x) are amax(x) and amin(x). Along an axis they return the values and the index
// of each (the first, among ties), as torch.max(x, dim); the gradient goes to that index only.
Tensor max(const Tensor& x);
ValuesAndIndices max(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor min(const Tensor& x);
ValuesAndIndices min(const Tensor& x, std::int64_t axis, bool keepdim = false);
// The int64 index of the first extreme (or first NaN), in the flattened tensor or along an axis.
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim = false);
// log(sum(exp(x))) and x - logsumexp(x), shifted by the maximum: finite for inputs of ±1e4.
Tensor logsumexp(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor log_softmax(const Tensor& x, std::int64_t axis);
Tensor softmax(const Tensor& x, std::int64_t axis);

// Linear algebra. matmul follows torch.matmul: two 1-D operands give their dot product; a 1-D left
// operand is a row and a 1-D right operand a column, the added axis removed from the result;
// otherwise the last two axes multiply as matrices and the leading (batch) axes broadcast, as in
// [7, 5] x [4, 1, 5, 3] -> [4, 1, 7, 3].
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1);
// x W^T + b for x [n, in], W [out, in] and b [out] (or an undefined tensor: no bias), as
// torch.nn.functional.linear, in one record: no transposed copy of W, the bias added by the GEMM,
// and dW accumulated by the GEMM straight into W's gradient slot.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// How solve_triangular reads A, as torch.linalg.solve_triangular's keywords plus a transpose:
//   upper          A is upper-triangular (default: lower); the other triangle is never read
//   transpose      solve with A^T instead of A
//   left           solve op(A) X = B (default), or X op(A) = B when false
//   unitriangular  A's diagonal is taken as ones and not read
struct SolveTriangularOptions {
  bool upper = false;
  bool transpose = false;
  bool left = true;
  bool unitriangular = false;
};
// X with op(A) X = B for triangular A [..., d, d] and B [..., d, n] (B [..., n, d] when solving
// from the right); the batch axes broadcast. A zero or infinite diagonal entry is an error (the
// system is singular); NaN propagates. solve_triangular(L, B, {.upper = true}).
Tensor solve_triangular(const Tensor& a, const Tensor& b,
                        const SolveTriangularOptions& options = {});

// Matrix structure, on the last two axes (tril, triu) or on two chosen axes (diagonal), as in
// PyTorch. `diagonal`/`offset` k selects the k-th diagonal: 0 the main one, k > 0 above it.
Tensor tril(const Tensor& x, std::int64_t diagonal = 0); // zeroes the entries above diagonal k
Tensor triu(const Tensor& x, std::int64_t diagonal = 0); // zeroes the entries below diagonal k
// The k-th diagonal of the matrices spanned by axes dim1 and dim2, as a new last axis: [B, n, n]
// -> [B, n] for diagonal(x, 0, -2, -1).
Tensor diagonal(const Tensor& x, std::int64_t offset = 0, std::int64_t dim1 = 0,
                std::int64_t dim2 = 1);
// The inverse picture: the last axis of x becomes the k-th diagonal of new matrices on axes dim1
// and dim2 of the output, zero elsewhere: [B, n] -> [B, n, n].
Tensor diag_embed(const Tensor& x, std::int64_t offset = 0, std::int64_t dim1 = -2,
                  std::int64_t dim2 = -1);
// torch.diag: a 1-D x becomes a matrix with x on its k-th diagonal; a 2-D x gives its k-th
// diagonal.
Tensor diag(const Tensor& x, std::int64_t diagonal = 0);

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

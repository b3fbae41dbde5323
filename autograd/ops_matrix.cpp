// The structure of matrices: triangles (tril, triu) and diagonals (diagonal, diag_embed, diag).
// Each moves elements without arithmetic, so its backward is the same move the other way.
#include "autograd/kernels/elementwise.hpp"
#include "autograd/kernels/triangular.hpp"
#include "autograd/ops.hpp"

#include <algorithm>

namespace tapegrad {

namespace {

// y = x on one triangle of each matrix (the last two axes), 0 elsewhere;  dL/dx = dL/dy on that
// triangle, 0 elsewhere
Tensor keep_triangle(const Tensor& x, std::int64_t k, bool lower, const char* op) {
  if (x.dim() < 2)
    fail("{}: expected a tensor of at least 2 dimensions, got shape {}", op, x.shape());
  const std::int64_t rows = x.size(-2), cols = x.size(-1), matrices = x.shape().outer(x.dim() - 2);
  const auto apply = [=](const Tensor& from) {
    Tensor to = empty_like(from);
    dispatch_all(from.dtype(), [&]<class T>() {
      kernels::keep_triangle(from.data_ptr<T>(), to.data_ptr<T>(), matrices, rows, cols, k, lower);
    });
    return to;
  };
  return record(op, apply(x), {x}, [x, apply](const Tensor& gy) { accumulate_grad(x, apply(gy)); });
}

// The walk over the k-th diagonal of the matrices on axes dim1 and dim2 of `shape`: the diagonal's
// shape (the other axes in order, then the diagonal), and the offset of its first element plus a
// plan whose stride_a steps through the rest, for strided_copy and strided_scatter.
struct DiagonalWalk {
  Shape shape;
  std::int64_t start = 0;
  kernels::BroadcastPlan plan;
};

DiagonalWalk diagonal_walk(const Shape& shape, std::int64_t offset, std::int64_t dim1,
                           std::int64_t dim2, const char* op) {
  const int p = normalize_axis(dim1, shape.rank(), op), q = normalize_axis(dim2, shape.rank(), op);
  if (p == q)
    fail("{}: dim1 and dim2 must differ, got {} and {} for shape {}", op, dim1, dim2, shape);
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (int i = shape.rank() - 2; i >= 0; --i)
    strides[static_cast<std::size_t>(i)] = strides[static_cast<std::size_t>(i) + 1] * shape[i + 1];
  const std::int64_t row = std::max<std::int64_t>(0, -offset),
                     col = std::max<std::int64_t>(0, offset);
  const std::int64_t length = std::max<std::int64_t>(0, std::min(shape[p] - row, shape[q] - col));
  DiagonalWalk walk;
  std::vector<std::int64_t> walk_strides;
  for (int i = 0; i < shape.rank(); ++i)
    if (i != p && i != q) {
      walk.shape.push_back(shape[i]);
      walk_strides.push_back(strides[static_cast<std::size_t>(i)]);
    }
  walk.shape.push_back(length);
  walk_strides.push_back(strides[static_cast<std::size_t>(p)] +
                         strides[static_cast<std::size_t>(q)]);
  if (length > 0)
    walk.start =
        row * strides[static_cast<std::size_t>(p)] + col * strides[static_cast<std::size_t>(q)];
  walk.plan.rank = walk.shape.rank();
  walk.plan.numel = walk.shape.numel();
  for (int i = 0; i < walk.shape.rank(); ++i) {
    walk.plan.size[static_cast<std::size_t>(i)] = walk.shape[i];
    walk.plan.stride_a[static_cast<std::size_t>(i)] = walk_strides[static_cast<std::size_t>(i)];
  }
  return walk;
}

// Copies the diagonal of `matrices` into a new tensor, or (scatter) puts a diagonal's values into
// zeros of the matrices' shape: the two directions of one walk.
Tensor gather_diagonal(const Tensor& matrices, const DiagonalWalk& walk) {
  Tensor out = empty(walk.shape, matrices.dtype());
  dispatch_all(matrices.dtype(), [&]<class T>() {
    kernels::strided_copy(matrices.data_ptr<T>() + walk.start, out.data_ptr<T>(), walk.plan);
  });
  return out;
}
Tensor scatter_diagonal(const Tensor& values, const Shape& shape, const DiagonalWalk& walk) {
  Tensor out = zeros(shape, values.dtype());
  dispatch_all(values.dtype(), [&]<class T>() {
    kernels::strided_scatter(values.data_ptr<T>(), out.data_ptr<T>() + walk.start, walk.plan);
  });
  return out;
}

} // namespace

Tensor tril(const Tensor& x, std::int64_t diagonal) {
  return keep_triangle(x, diagonal, true, "tril");
}

Tensor triu(const Tensor& x, std::int64_t diagonal) {
  return keep_triangle(x, diagonal, false, "triu");
}

// y[..., j] = x[..., row + j, ..., col + j, ...];  dL/dx is dL/dy on that diagonal, 0 elsewhere
Tensor diagonal(const Tensor& x, std::int64_t offset, std::int64_t dim1, std::int64_t dim2) {
  const DiagonalWalk walk = diagonal_walk(x.shape(), offset, dim1, dim2, "diagonal");
  return record(
      "diagonal", gather_diagonal(x, walk), {x}, [x, offset, dim1, dim2](const Tensor& gy) {
        accumulate_grad(x,
                        scatter_diagonal(gy, x.shape(),
                                         diagonal_walk(x.shape(), offset, dim1, dim2, "diagonal")));
      });
}

// y = zeros with x's last axis on the k-th diagonal of the matrices on axes dim1 and dim2;
// dL/dx = that diagonal of dL/dy
Tensor diag_embed(const Tensor& x, std::int64_t offset, std::int64_t dim1, std::int64_t dim2) {
  if (x.dim() < 1 || x.dim() + 1 > Shape::kMaxRank)
    fail("diag_embed: expected a tensor of 1 to {} dimensions, got shape {}", Shape::kMaxRank - 1,
         x.shape());
  const int rank = x.dim() + 1;
  const int p = normalize_axis(dim1, rank, "diag_embed"),
            q = normalize_axis(dim2, rank, "diag_embed");
  if (p == q)
    fail("diag_embed: dim1 and dim2 must differ, got {} and {}", dim1, dim2);
  // The output's shape: x's other axes in order, with the two matrix axes of size n + |k| put in.
  const std::int64_t size = x.size(-1) + (offset < 0 ? -offset : offset);
  Shape shape;
  for (int i = 0, from = 0; i < rank; ++i)
    shape.push_back(i == p || i == q ? size : x.shape()[from++]);
  const DiagonalWalk walk = diagonal_walk(shape, offset, p, q, "diag_embed");
  return record("diag_embed", scatter_diagonal(x, shape, walk), {x},
                [x, walk](const Tensor& gy) { accumulate_grad(x, gather_diagonal(gy, walk)); });
}

Tensor diag(const Tensor& x, std::int64_t diagonal) {
  if (x.dim() == 1)
    return diag_embed(x, diagonal, 0, 1);
  if (x.dim() == 2)
    return tapegrad::diagonal(x, diagonal, 0, 1);
  fail("diag: expected a 1-D or 2-D tensor, got shape {}", x.shape());
}

} // namespace tapegrad

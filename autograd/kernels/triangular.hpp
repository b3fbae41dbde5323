#pragma once
// Triangular matrices: solving a small triangular system by substitution (and the gradient of the
// solution with respect to the matrix), and keeping one triangle of a matrix (tril, triu). Plain
// loops: D is small (the output dimension of a mixture), and they are their own reference.
#include <cstdint>

namespace tapegrad::kernels {

// How a solve reads the d x d matrix A: which triangle holds it (the other is never read), whether
// the system is A or A^T, and whether A's diagonal is taken as ones (and not read).
struct TriangularSystem {
  bool upper = false, transpose = false, unit = false;
  std::int64_t d = 0;
  // op(A)[i][j], with op(A) = A or A^T.
  template <class T> T at(const T* a, std::int64_t i, std::int64_t j) const {
    return transpose ? a[j * d + i] : a[i * d + j];
  }
  // op(A) is lower-triangular (forward substitution) when A is lower and not transposed, or upper
  // and transposed.
  bool forward() const { return upper == transpose; }
  // Whether A[i][j] is read: on A's triangle, and off the diagonal when it is unit.
  bool stored(std::int64_t i, std::int64_t j) const {
    return (upper ? j >= i : j <= i) && !(unit && i == j);
  }
};

// X = op(A)^-1 B for a d x n right-hand side B. Forward substitution when op(A) is lower,
//   x_i = (b_i - sum_{j<i} op(A)_ij x_j) / op(A)_ii,   i = 0, 1, ..., d - 1,
// back substitution (the same, over j > i, for i = d - 1 down to 0) when it is upper.
template <class T>
void solve_triangular(const TriangularSystem& s, const T* a, const T* b, T* x, std::int64_t n) {
  const std::int64_t d = s.d;
  const auto divide = [&](std::int64_t i, T acc) { return s.unit ? acc : acc / s.at(a, i, i); };
  for (std::int64_t c = 0; c < n; ++c) {
    if (s.forward()) {
      for (std::int64_t i = 0; i < d; ++i) {
        T acc = b[i * n + c];
        for (std::int64_t j = 0; j < i; ++j)
          acc -= s.at(a, i, j) * x[j * n + c];
        x[i * n + c] = divide(i, acc);
      }
    } else {
      for (std::int64_t i = d - 1; i >= 0; --i) {
        T acc = b[i * n + c];
        for (std::int64_t j = i + 1; j < d; ++j)
          acc -= s.at(a, i, j) * x[j * n + c];
        x[i * n + c] = divide(i, acc);
      }
    }
  }
}

// The gradient of X = op(A)^-1 B with respect to A: d op(A) = -G X^T with G = op(A)^-T dX (B's
// gradient), kept on the triangle of A that was read, and transposed back when op(A) = A^T:
//   dA_ij = -sum_c G_rc X_qc   with (r, q) = (i, j), or (j, i) when transposed.
// Writes ga on A's stored entries (accumulate: subtracts there instead); the others are untouched.
template <class T>
void solve_triangular_grad_a(const TriangularSystem& s, const T* g, const T* x, T* ga,
                             std::int64_t n, bool accumulate) {
  for (std::int64_t i = 0; i < s.d; ++i)
    for (std::int64_t j = 0; j < s.d; ++j) {
      if (!s.stored(i, j))
        continue;
      const std::int64_t r = s.transpose ? j : i, q = s.transpose ? i : j;
      T acc = 0;
      for (std::int64_t c = 0; c < n; ++c)
        acc += g[r * n + c] * x[q * n + c];
      T& out = ga[i * s.d + j];
      out = accumulate ? out - acc : -acc;
    }
}

// y = x on the lower (or upper) triangle of each rows x cols matrix, from the k-th diagonal (j - i
// <= k for lower, j - i >= k for upper), and 0 elsewhere.
template <class T>
void keep_triangle(const T* x, T* y, std::int64_t matrices, std::int64_t rows, std::int64_t cols,
                   std::int64_t k, bool lower) {
  for (std::int64_t m = 0; m < matrices; ++m)
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j) {
        const std::int64_t at = (m * rows + i) * cols + j;
        y[at] = (lower ? j - i <= k : j - i >= k) ? x[at] : T(0);
      }
}

} // namespace tapegrad::kernels

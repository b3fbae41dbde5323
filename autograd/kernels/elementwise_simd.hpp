#pragma once
// The element-wise loops the ops call: the same functors as the reference loops in
// elementwise.hpp, applied to SIMD batches (xsimd's exp, log, tanh, ...) with a scalar tail, and
// split over OpenMP threads in fixed blocks above a grain size.
//
// Determinism: an element is computed by the SIMD body or the scalar tail depending only on its
// position in its row, and a broadcast gradient is summed in blocks fixed by the shape, combined
// in block order. Neither depends on the number of threads.
#include "autograd/kernels/elementwise.hpp"
#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/scratch.hpp"
#include "autograd/kernels/simd.hpp"

#include <algorithm>
#include <tuple>

namespace tapegrad::kernels {

// Transcendental unary ops cost about as much as a few streaming binary ops.
inline constexpr std::int64_t kUnaryCost = 4;

// y[i] = f(x[i])
template <class Op, class T> void unary_forward(const T* x, T* y, std::int64_t n, T a, T b) {
  const Batch<T> av(a), bv(b);
  parallel_blocks(ceil_div(n, kBlock), n * kUnaryCost, [&](std::int64_t block) {
    const std::int64_t end = std::min(n, (block + 1) * kBlock);
    std::int64_t i = block * kBlock;
    for (; i + kWidth<T> <= end; i += kWidth<T>) {
      Batch<T> yv = Op::value(load(x + i), av, bv);
      // xsimd's log makes a NaN of its own (sign bit set) from a NaN input where std::log passes
      // the input's through; redo a batch with a NaN with the scalar functions, so that a NaN
      // prints the same ("nan" or "-nan") on both paths.
      if (xsimd::any(xsimd::isnan(yv))) [[unlikely]] {
        alignas(64) T lanes[kWidth<T>];
        for (std::int64_t l = 0; l < kWidth<T>; ++l)
          lanes[l] = Op::value(x[i + l], a, b);
        yv = Batch<T>::load_aligned(lanes);
      }
      store(y + i, yv);
    }
    for (; i < end; ++i)
      y[i] = Op::value(x[i], a, b);
  });
}

// gx[i] = gy[i] * f'(x[i])
template <class Op, class T>
void unary_backward(const T* x, const T* y, const T* gy, T* gx, std::int64_t n, T a, T b) {
  const Batch<T> av(a), bv(b);
  parallel_blocks(ceil_div(n, kBlock), n * kUnaryCost, [&](std::int64_t block) {
    const std::int64_t end = std::min(n, (block + 1) * kBlock);
    std::int64_t i = block * kBlock;
    for (; i + kWidth<T> <= end; i += kWidth<T>)
      store(gx + i, load(gy + i) * Op::derivative(load(x + i), load(y + i), av, bv));
    for (; i < end; ++i)
      gx[i] = gy[i] * Op::derivative(x[i], y[i], a, b);
  });
}

// A broadcast collapsed to at most two axes: `rows` rows of `cols` elements. Along a row each
// input steps by 1 or repeats (0); from row to row by its row stride. Same-shape operands become
// one row, a row vector [cols] has row stride 0, a column vector [rows, 1] column stride 0, a
// scalar both. Broadcasts that do not collapse to two axes use the reference loops.
struct Broadcast2D {
  bool collapsed = false;
  std::int64_t rows = 1, cols = 1;
  std::int64_t a_row = 0, b_row = 0; // row strides
  std::int64_t a_col = 0, b_col = 0; // column strides, 0 or 1
};

inline Broadcast2D collapse(const BroadcastPlan& plan) {
  struct Axis {
    std::int64_t size, a, b;
  };
  Axis axes[BroadcastPlan::kMaxRank];
  int count = 0;
  for (int k = 0; k < plan.rank; ++k) {
    const auto i = static_cast<std::size_t>(k);
    if (plan.size[i] == 1)
      continue; // an axis of size 1 moves nothing
    const Axis axis{plan.size[i], plan.stride_a[i], plan.stride_b[i]};
    // An axis merges into the one before it when stepping it once is stepping the inner one
    // `size` times, for both inputs.
    if (count > 0 && axes[count - 1].a == axis.a * axis.size &&
        axes[count - 1].b == axis.b * axis.size) {
      axes[count - 1] = {axes[count - 1].size * axis.size, axis.a, axis.b};
      continue;
    }
    axes[count++] = axis;
  }
  Broadcast2D out;
  if (count > 2)
    return out;
  out.collapsed = true;
  if (count >= 1) {
    const Axis& inner = axes[count - 1];
    out.cols = inner.size;
    out.a_col = inner.a;
    out.b_col = inner.b;
  }
  if (count == 2) {
    out.rows = axes[0].size;
    out.a_row = axes[0].a;
    out.b_row = axes[0].b;
  }
  return out;
}

namespace detail {

// Loads an operand of a row that steps by 1 (Contiguous) or repeats its first element.
template <bool Contiguous, class T> Batch<T> load_operand(const T* p, std::int64_t j) {
  if constexpr (Contiguous)
    return load(p + j);
  else
    return Batch<T>(*p);
}
template <bool Contiguous, class T> T operand(const T* p, std::int64_t j) {
  if constexpr (Contiguous)
    return p[j];
  else
    return *p;
}

// z[j] = f(a[j], b[j]) for j in [begin, end) of one row.
template <class Op, bool AContiguous, bool BContiguous, class T>
void binary_row(const T* a, const T* b, T* z, std::int64_t begin, std::int64_t end) {
  std::int64_t j = begin;
  for (; j + kWidth<T> <= end; j += kWidth<T>)
    store(z + j, Op::value(load_operand<AContiguous>(a, j), load_operand<BContiguous>(b, j)));
  for (; j < end; ++j)
    z[j] = Op::value(operand<AContiguous>(a, j), operand<BContiguous>(b, j));
}

// The gradient one element of z contributes to input a (ForA) or b: gz * dz/da or gz * dz/db.
template <class Op, bool ForA, class V> V contribution(V a, V b, V z, V gz) {
  if constexpr (ForA)
    return gz * Op::derivative_a(a, b, z);
  else
    return gz * Op::derivative_b(a, b, z);
}

// g[0..cols) (+)= the contributions of row r, over columns [begin, end): the input g belongs to
// steps along the row (a row vector, or an operand of the output's shape).
template <class Op, bool ForA, bool AContiguous, bool BContiguous, class T>
void accumulate_row(const T* a, const T* b, const T* z, const T* gz, T* g, std::int64_t begin,
                    std::int64_t end) {
  std::int64_t j = begin;
  for (; j + kWidth<T> <= end; j += kWidth<T>)
    store(g + j, load(g + j) + contribution<Op, ForA>(load_operand<AContiguous>(a, j),
                                                      load_operand<BContiguous>(b, j), load(z + j),
                                                      load(gz + j)));
  for (; j < end; ++j)
    g[j] +=
        contribution<Op, ForA>(operand<AContiguous>(a, j), operand<BContiguous>(b, j), z[j], gz[j]);
}

// The sum of the contributions of row r over columns [begin, end): the input repeats along the row.
template <class Op, bool ForA, bool AContiguous, bool BContiguous, class T>
T sum_row(const T* a, const T* b, const T* z, const T* gz, std::int64_t begin, std::int64_t end) {
  Batch<T> acc(T(0));
  std::int64_t j = begin;
  for (; j + kWidth<T> <= end; j += kWidth<T>)
    acc += contribution<Op, ForA>(load_operand<AContiguous>(a, j), load_operand<BContiguous>(b, j),
                                  load(z + j), load(gz + j));
  T total = xsimd::hadd(acc);
  for (; j < end; ++j)
    total +=
        contribution<Op, ForA>(operand<AContiguous>(a, j), operand<BContiguous>(b, j), z[j], gz[j]);
  return total;
}

// Dispatches f.template operator()<AContiguous, BContiguous>() on the column strides.
template <class F> void on_column_strides(const Broadcast2D& p, F&& f) {
  if (p.a_col == 1 && p.b_col == 1)
    f.template operator()<true, true>();
  else if (p.a_col == 1)
    f.template operator()<true, false>();
  else if (p.b_col == 1)
    f.template operator()<false, true>();
  else
    f.template operator()<false, false>();
}

// g (+)= the gradient of input a (ForA) or b over the collapsed broadcast.
template <class Op, bool ForA, class T>
void binary_gradient(const T* a, const T* b, const T* z, const T* gz, T* g, const Broadcast2D& p) {
  const std::int64_t g_row = ForA ? p.a_row : p.b_row, g_col = ForA ? p.a_col : p.b_col;
  on_column_strides(p, [&]<bool AC, bool BC>() {
    const auto row_args = [&](std::int64_t r) {
      return std::tuple{a + r * p.a_row, b + r * p.b_row, z + r * p.cols, gz + r * p.cols};
    };
    if (g_col == 1 && (g_row == p.cols || p.rows == 1)) {
      // g has the output's shape: element by element.
      for_each_row_piece(
          p.rows, p.cols, 2, [&](std::int64_t r, std::int64_t begin, std::int64_t end) {
            const auto [ar, br, zr, gzr] = row_args(r);
            accumulate_row<Op, ForA, AC, BC>(ar, br, zr, gzr, g + r * p.cols, begin, end);
          });
    } else if (g_col == 1) {
      // g is a row vector: column sums. Rows go in fixed groups, each summed into its own
      // partial row, and the partial rows are added into g in group order.
      const std::int64_t group =
          std::max<std::int64_t>(1, kBlock / std::max<std::int64_t>(p.cols, 1));
      const std::int64_t groups = ceil_div(p.rows, group);
      T* partial = scratch<T>(ScratchSlot::Partials, static_cast<std::size_t>(groups * p.cols));
      parallel_blocks(groups, p.rows * p.cols * 2, [&](std::int64_t block) {
        T* sums = partial + block * p.cols;
        std::fill_n(sums, p.cols, T(0));
        for (std::int64_t r = block * group; r < std::min(p.rows, (block + 1) * group); ++r) {
          const auto [ar, br, zr, gzr] = row_args(r);
          accumulate_row<Op, ForA, AC, BC>(ar, br, zr, gzr, sums, 0, p.cols);
        }
      });
      for (std::int64_t block = 0; block < groups; ++block)
        for (std::int64_t j = 0; j < p.cols; ++j)
          g[j] += partial[block * p.cols + j];
    } else {
      // g repeats along each row (a column vector, or a scalar): row sums, long rows cut into
      // pieces of kBlock whose partial sums are added in order.
      const std::int64_t pieces = std::max<std::int64_t>(1, ceil_div(p.cols, kBlock));
      T* partial = scratch<T>(ScratchSlot::Partials, static_cast<std::size_t>(p.rows * pieces));
      for_each_row_piece(p.rows, p.cols, 2,
                         [&](std::int64_t r, std::int64_t begin, std::int64_t end) {
                           const auto [ar, br, zr, gzr] = row_args(r);
                           partial[r * pieces + begin / kBlock] =
                               sum_row<Op, ForA, AC, BC>(ar, br, zr, gzr, begin, end);
                         });
      for (std::int64_t r = 0; r < p.rows; ++r) {
        T row_total = 0;
        for (std::int64_t piece = 0; piece < pieces; ++piece)
          row_total += partial[r * pieces + piece];
        g[r * g_row] += row_total; // g_row is 0 for a scalar: the rows add up in order
      }
    }
  });
}

} // namespace detail

// z = f(a, b) with broadcasting.
template <class Op, class T>
void binary_forward(const T* a, const T* b, T* z, const BroadcastPlan& plan) {
  const Broadcast2D p = collapse(plan);
  if (!p.collapsed) {
    binary_forward_reference<Op>(a, b, z, plan);
    return;
  }
  detail::on_column_strides(p, [&]<bool AC, bool BC>() {
    for_each_row_piece(p.rows, p.cols, 1,
                       [&](std::int64_t r, std::int64_t begin, std::int64_t end) {
                         detail::binary_row<Op, AC, BC>(a + r * p.a_row, b + r * p.b_row,
                                                        z + r * p.cols, begin, end);
                       });
  });
}

// ga += gz * dz/da and gb += gz * dz/db, summed over the axes each input was repeated along.
// Either gradient may be null when that input needs none. ga and gb start zeroed.
template <class Op, class T>
void binary_backward(const T* a, const T* b, const T* z, const T* gz, T* ga, T* gb,
                     const BroadcastPlan& plan) {
  const Broadcast2D p = collapse(plan);
  if (!p.collapsed) {
    binary_backward_reference<Op>(a, b, z, gz, ga, gb, plan);
    return;
  }
  if (ga)
    detail::binary_gradient<Op, true>(a, b, z, gz, ga, p);
  if (gb)
    detail::binary_gradient<Op, false>(a, b, z, gz, gb, p);
}

} // namespace tapegrad::kernels

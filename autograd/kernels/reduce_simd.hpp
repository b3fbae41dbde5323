#pragma once
// The reductions the ops call. Along the last axis (inner == 1, one contiguous row per output)
// a row is reduced with SIMD batches (xsimd's exp and log for logsumexp and log_softmax) and rows
// are spread over OpenMP threads; a very long row is cut into pieces of kBlock whose partial sums
// are added in order. Along another axis (inner > 1) the SIMD lanes run across `inner`, each lane
// summing in the same order as the reference. Other cases run the reference loops, one slab of
// `outer` at a time in parallel. Nothing depends on the number of threads.
#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/reduce.hpp"
#include "autograd/kernels/scratch.hpp"
#include "autograd/kernels/simd.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tapegrad::kernels {

namespace detail {

// Four accumulators hide the latency of the adds; the order is fixed by position.
template <class T> T simd_sum(const T* x, std::int64_t n) {
  constexpr std::int64_t w = kWidth<T>;
  Batch<T> acc0(T(0)), acc1(T(0)), acc2(T(0)), acc3(T(0));
  std::int64_t j = 0;
  for (; j + 4 * w <= n; j += 4 * w) {
    acc0 += load(x + j);
    acc1 += load(x + j + w);
    acc2 += load(x + j + 2 * w);
    acc3 += load(x + j + 3 * w);
  }
  for (; j + w <= n; j += w)
    acc0 += load(x + j);
  T total = xsimd::hadd((acc0 + acc1) + (acc2 + acc3));
  for (; j < n; ++j)
    total += x[j];
  return total;
}

// The largest (Max) or smallest element, ignoring NaN (callers that must propagate NaN check for
// it separately).
template <bool Max, class T> T simd_extreme(const T* x, std::int64_t n) {
  constexpr std::int64_t w = kWidth<T>;
  const auto better = [](const auto& a, const auto& b) { return Max ? a > b : a < b; };
  T best = Max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  std::int64_t j = 0;
  if (n >= w) {
    Batch<T> acc(best);
    for (; j + w <= n; j += w) {
      const Batch<T> v = load(x + j);
      acc = xsimd::select(better(v, acc), v, acc);
    }
    alignas(64) T lanes[kWidth<T>];
    acc.store_aligned(lanes);
    for (std::int64_t l = 0; l < w; ++l)
      best = better(lanes[l], best) ? lanes[l] : best;
  }
  for (; j < n; ++j)
    best = better(x[j], best) ? x[j] : best;
  return best;
}

template <class T> bool has_nan(const T* x, std::int64_t n) {
  constexpr std::int64_t w = kWidth<T>;
  std::int64_t j = 0;
  typename Batch<T>::batch_bool_type seen(false);
  for (; j + w <= n; j += w) {
    const Batch<T> v = load(x + j);
    seen = seen | xsimd::isnan(v);
  }
  bool found = xsimd::any(seen);
  for (; j < n; ++j)
    found = found || std::isnan(x[j]);
  return found;
}

// sum_j exp(x_j - shift)
template <class T> T simd_sum_exp(const T* x, std::int64_t n, T shift) {
  constexpr std::int64_t w = kWidth<T>;
  const Batch<T> s(shift);
  Batch<T> acc0(T(0)), acc1(T(0));
  std::int64_t j = 0;
  for (; j + 2 * w <= n; j += 2 * w) {
    acc0 += xsimd::exp(load(x + j) - s);
    acc1 += xsimd::exp(load(x + j + w) - s);
  }
  for (; j + w <= n; j += w)
    acc0 += xsimd::exp(load(x + j) - s);
  if (j < n) { // the tail as one batch padded with -inf, whose exp is 0: rows shorter than a
               // batch (a mixture's K logits) stay on the SIMD exp
    alignas(64) T lanes[kWidth<T>];
    std::fill_n(lanes, w, -std::numeric_limits<T>::infinity());
    std::copy(x + j, x + n, lanes);
    acc1 += xsimd::exp(Batch<T>::load_aligned(lanes) - s);
  }
  return xsimd::hadd(acc0 + acc1);
}

// log sum_j exp(x_j), shifted by the maximum (0 when that is infinite, as the reference).
template <class T> T row_logsumexp(const T* x, std::int64_t n) {
  T m = simd_extreme<true>(x, n);
  m = std::isfinite(m) ? m : T(0);
  return m + std::log(simd_sum_exp(x, n, m));
}

// Runs the reference loop on slabs of `outer` in parallel: for cases without a SIMD form.
template <class Loop> void reference_by_slab(AxisView v, std::int64_t cost, Loop&& loop) {
  parallel_blocks(v.outer, v.outer * v.n * v.inner * cost, [&](std::int64_t o) {
    loop(o, AxisView{1, v.n, v.inner});
  });
}

// Calls row(r) for each of `rows` rows of length n, in parallel groups of rows.
template <class Row>
void for_each_row(std::int64_t rows, std::int64_t n, std::int64_t cost, Row&& row) {
  const std::int64_t group = std::max<std::int64_t>(1, kBlock / std::max<std::int64_t>(n, 1));
  parallel_blocks(ceil_div(rows, group), rows * n * cost, [&](std::int64_t block) {
    for (std::int64_t r = block * group; r < std::min(rows, (block + 1) * group); ++r)
      row(r);
  });
}

} // namespace detail

template <class T> void sum_axis_forward(const T* x, T* y, AxisView v) {
  if (v.inner == 1) {
    // Rows cut into pieces of kBlock, whose sums are added in order.
    const std::int64_t pieces = std::max<std::int64_t>(1, ceil_div(v.n, kBlock));
    T* partial = scratch<T>(ScratchSlot::Partials, static_cast<std::size_t>(v.outer * pieces));
    for_each_row_piece(v.outer, v.n, 1, [&](std::int64_t r, std::int64_t begin, std::int64_t end) {
      partial[r * pieces + begin / kBlock] = detail::simd_sum(x + r * v.n + begin, end - begin);
    });
    for (std::int64_t r = 0; r < v.outer; ++r) {
      T total = 0;
      for (std::int64_t piece = 0; piece < pieces; ++piece)
        total += partial[r * pieces + piece];
      y[r] = total;
    }
    return;
  }
  // y[o, i] = sum_j x[o, j, i]: lanes across i, j in order, four batches of i at a time held in
  // registers over the whole of j (a bias's gradient: the column sums of dL/dy).
  for_each_row_piece(v.outer, v.inner, v.n,
                     [&](std::int64_t o, std::int64_t begin, std::int64_t end) {
                       constexpr std::int64_t w = kWidth<T>;
                       T* out = y + o * v.inner;
                       const T* slab = x + v.at(o, 0, 0);
                       std::int64_t i = begin;
                       for (; i + 4 * w <= end; i += 4 * w) {
                         Batch<T> acc0(T(0)), acc1(T(0)), acc2(T(0)), acc3(T(0));
                         for (std::int64_t j = 0; j < v.n; ++j) {
                           const T* row = slab + j * v.inner + i;
                           acc0 += load(row);
                           acc1 += load(row + w);
                           acc2 += load(row + 2 * w);
                           acc3 += load(row + 3 * w);
                         }
                         store(out + i, acc0);
                         store(out + i + w, acc1);
                         store(out + i + 2 * w, acc2);
                         store(out + i + 3 * w, acc3);
                       }
                       for (; i + w <= end; i += w) {
                         Batch<T> acc(T(0));
                         for (std::int64_t j = 0; j < v.n; ++j)
                           acc += load(slab + j * v.inner + i);
                         store(out + i, acc);
                       }
                       if (i < end) { // the ragged columns: a masked batch per row
                         const std::int64_t lanes = end - i;
                         Batch<T> acc(T(0));
                         for (std::int64_t j = 0; j < v.n; ++j)
                           acc += load_partial(slab + j * v.inner + i, lanes);
                         store_partial(out + i, acc, lanes);
                       }
                     });
}

// gx[o, j, i] = gy[o, i]
template <class T> void sum_axis_backward(const T* gy, T* gx, AxisView v) {
  for_each_row_piece(v.outer * v.n, v.inner, 1,
                     [&](std::int64_t r, std::int64_t begin, std::int64_t end) {
                       const T* from = gy + r / v.n * v.inner;
                       std::copy(from + begin, from + end, gx + r * v.inner + begin);
                     });
}

// y[o, i] = max_j x[o, j, i] (or min): SIMD along a row, the reference (NaN first) on a row
// with a NaN and across `inner`.
template <bool Max, class T> void extreme_axis_forward(const T* x, T* y, AxisView v) {
  if (v.inner != 1) {
    detail::reference_by_slab(v, 1, [&](std::int64_t o, AxisView slab) {
      extreme_axis_forward_reference<Max>(x + o * v.n * v.inner, y + o * v.inner, nullptr, slab);
    });
    return;
  }
  detail::for_each_row(v.outer, v.n, 1, [&](std::int64_t r) {
    const T* row = x + r * v.n;
    if (detail::has_nan(row, v.n)) // NaN propagates: the reference picks the first one
      extreme_axis_forward_reference<Max>(row, y + r, nullptr, AxisView{1, v.n, 1});
    else
      y[r] = detail::simd_extreme<Max>(row, v.n);
  });
}

// The values and the first index of each extreme, for max(x, axis) and argmax: the reference
// loop, slab by slab in parallel.
template <bool Max, class T>
void extreme_axis_forward(const T* x, T* y, std::int64_t* index, AxisView v) {
  detail::reference_by_slab(v, 1, [&](std::int64_t o, AxisView slab) {
    extreme_axis_forward_reference<Max>(x + o * v.n * v.inner, y + o * v.inner, index + o * v.inner,
                                        slab);
  });
}

// The gradient goes to the extreme entries, shared evenly when several tie.
template <class T>
void extreme_axis_backward(const T* x, const T* y, const T* gy, T* gx, AxisView v) {
  detail::reference_by_slab(v, 2, [&](std::int64_t o, AxisView slab) {
    const std::int64_t offset = o * v.n * v.inner;
    extreme_axis_backward_reference(x + offset, y + o * v.inner, gy + o * v.inner, gx + offset,
                                    slab);
  });
}

// y = m + log(sum_j exp(x_j - m))
template <class T> void logsumexp_axis_forward(const T* x, T* y, AxisView v) {
  if (v.inner != 1) {
    detail::reference_by_slab(v, 4, [&](std::int64_t o, AxisView slab) {
      logsumexp_axis_forward_reference(x + o * v.n * v.inner, y + o * v.inner, slab);
    });
    return;
  }
  detail::for_each_row(v.outer, v.n, 4,
                       [&](std::int64_t r) { y[r] = detail::row_logsumexp(x + r * v.n, v.n); });
}

// gx_j = gy * exp(x_j - y)
template <class T>
void logsumexp_axis_backward(const T* x, const T* y, const T* gy, T* gx, AxisView v) {
  if (v.inner != 1) {
    detail::reference_by_slab(v, 4, [&](std::int64_t o, AxisView slab) {
      const std::int64_t offset = o * v.n * v.inner;
      logsumexp_axis_backward_reference(x + offset, y + o * v.inner, gy + o * v.inner, gx + offset,
                                        slab);
    });
    return;
  }
  detail::for_each_row(v.outer, v.n, 4, [&](std::int64_t r) {
    const T* row = x + r * v.n;
    T* out = gx + r * v.n;
    const Batch<T> g(gy[r]), lse(y[r]);
    std::int64_t j = 0;
    for (; j + kWidth<T> <= v.n; j += kWidth<T>)
      store(out + j, g * xsimd::exp(load(row + j) - lse));
    for (; j < v.n; ++j)
      out[j] = gy[r] * std::exp(row[j] - y[r]);
  });
}

// y_j = x_j - logsumexp(x)
template <class T> void log_softmax_axis_forward(const T* x, T* y, AxisView v) {
  if (v.inner != 1) {
    detail::reference_by_slab(v, 4, [&](std::int64_t o, AxisView slab) {
      const std::int64_t offset = o * v.n * v.inner;
      log_softmax_axis_forward_reference(x + offset, y + offset, slab);
    });
    return;
  }
  detail::for_each_row(v.outer, v.n, 4, [&](std::int64_t r) {
    const T* row = x + r * v.n;
    T* out = y + r * v.n;
    const T lse = detail::row_logsumexp(row, v.n);
    const Batch<T> lse_v(lse);
    std::int64_t j = 0;
    for (; j + kWidth<T> <= v.n; j += kWidth<T>)
      store(out + j, load(row + j) - lse_v);
    for (; j < v.n; ++j)
      out[j] = row[j] - lse;
  });
}

// gx_j = gy_j - exp(y_j) * sum_k gy_k
template <class T> void log_softmax_axis_backward(const T* y, const T* gy, T* gx, AxisView v) {
  if (v.inner != 1) {
    detail::reference_by_slab(v, 4, [&](std::int64_t o, AxisView slab) {
      const std::int64_t offset = o * v.n * v.inner;
      log_softmax_axis_backward_reference(y + offset, gy + offset, gx + offset, slab);
    });
    return;
  }
  detail::for_each_row(v.outer, v.n, 4, [&](std::int64_t r) {
    const std::int64_t offset = r * v.n;
    const T total = detail::simd_sum(gy + offset, v.n);
    const Batch<T> total_v(total);
    std::int64_t j = 0;
    for (; j + kWidth<T> <= v.n; j += kWidth<T>)
      store(gx + offset + j, load(gy + offset + j) - xsimd::exp(load(y + offset + j)) * total_v);
    if (j < v.n) { // the tail as one padded batch, as in simd_sum_exp
      alignas(64) T y_lanes[kWidth<T>], g_lanes[kWidth<T>];
      std::fill_n(y_lanes, kWidth<T>, -std::numeric_limits<T>::infinity());
      std::fill_n(g_lanes, kWidth<T>, T(0));
      std::copy(y + offset + j, y + offset + v.n, y_lanes);
      std::copy(gy + offset + j, gy + offset + v.n, g_lanes);
      (Batch<T>::load_aligned(g_lanes) - xsimd::exp(Batch<T>::load_aligned(y_lanes)) * total_v)
          .store_aligned(g_lanes);
      std::copy(g_lanes, g_lanes + (v.n - j), gx + offset + j);
    }
  });
}

} // namespace tapegrad::kernels

#pragma once
// Loops that apply a functor from elementwise_ops.hpp over contiguous buffers. Binary ops
// broadcast through a BroadcastPlan: element strides per axis, 0 along an axis an input repeats.
// The plain *_reference loops come first; the SIMD and OpenMP versions the ops call are in
// elementwise_simd.hpp, and tests compare the two. They know nothing of tensors or tapes.
#include <array>
#include <cstdint>

namespace tapegrad::kernels {

// y[i] = f(x[i])
template <class Op, class T>
void unary_forward_reference(const T* x, T* y, std::int64_t n, T a, T b) {
  for (std::int64_t i = 0; i < n; ++i)
    y[i] = Op::value(x[i], a, b);
}

// into[i] += from[i]: how a gradient slot accumulates a second contribution.
template <class T> void add_into(T* __restrict into, const T* __restrict from, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i)
    into[i] += from[i];
}

// gx[i] = gy[i] * f'(x[i])
template <class Op, class T>
void unary_backward_reference(const T* x, const T* y, const T* gy, T* gx, std::int64_t n, T a,
                              T b) {
  for (std::int64_t i = 0; i < n; ++i)
    gx[i] = gy[i] * Op::derivative(x[i], y[i], a, b);
}

struct BroadcastPlan {
  static constexpr int kMaxRank = 8;
  int rank = 0;
  std::array<std::int64_t, kMaxRank> size{};     // the output's sizes
  std::array<std::int64_t, kMaxRank> stride_a{}; // element strides of a, 0 where a repeats
  std::array<std::int64_t, kMaxRank> stride_b{};
  std::int64_t numel = 1;
};

// Walks the output in row-major order, calling visit(out_index, a_index, b_index).
template <class Visit> void for_each_broadcast(const BroadcastPlan& plan, Visit&& visit) {
  std::array<std::int64_t, BroadcastPlan::kMaxRank> counter{};
  std::int64_t ia = 0, ib = 0;
  for (std::int64_t i = 0; i < plan.numel; ++i) {
    visit(i, ia, ib);
    for (int axis = plan.rank - 1; axis >= 0; --axis) { // odometer increment
      const auto k = static_cast<std::size_t>(axis);
      ia += plan.stride_a[k];
      ib += plan.stride_b[k];
      if (++counter[k] < plan.size[k])
        break;
      ia -= plan.stride_a[k] * plan.size[k];
      ib -= plan.stride_b[k] * plan.size[k];
      counter[k] = 0;
    }
  }
}

// z = f(a, b) with broadcasting.
template <class Op, class T>
void binary_forward_reference(const T* a, const T* b, T* z, const BroadcastPlan& plan) {
  for_each_broadcast(plan, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
    z[i] = Op::value(a[ia], b[ib]);
  });
}

// ga += gz * dz/da and gb += gz * dz/db, summed over the axes each input was repeated along.
// Either gradient may be null when that input needs none. ga and gb start zeroed.
template <class Op, class T>
void binary_backward_reference(const T* a, const T* b, const T* z, const T* gz, T* ga, T* gb,
                               const BroadcastPlan& plan) {
  for_each_broadcast(plan, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
    if (ga)
      ga[ia] += gz[i] * Op::derivative_a(a[ia], b[ib], z[i]);
    if (gb)
      gb[ib] += gz[i] * Op::derivative_b(a[ia], b[ib], z[i]);
  });
}

} // namespace tapegrad::kernels

namespace tapegrad::kernels {

// dst[i] = src[ia]: copies a strided view (a transpose, a broadcast) into row-major order. The
// plan's stride_a are the source's strides; stride_b is unused.
template <class T> void strided_copy(const T* src, T* dst, const BroadcastPlan& plan) {
  for_each_broadcast(plan,
                     [&](std::int64_t i, std::int64_t ia, std::int64_t) { dst[i] = src[ia]; });
}

// dst[ia] = src[i]: the inverse of strided_copy, which puts a row-major buffer back into a strided
// view whose positions are all distinct (a diagonal).
template <class T> void strided_scatter(const T* src, T* dst, const BroadcastPlan& plan) {
  for_each_broadcast(plan,
                     [&](std::int64_t i, std::int64_t ia, std::int64_t) { dst[ia] = src[i]; });
}

// out[i] = mask[i] != 0 ? a[ia] : b[ib], for a mask of the output's shape (of any element type; a
// NaN counts as true). A NaN in the branch not taken does not reach the output.
template <class M, class T>
void where_forward(const M* mask, const T* a, const T* b, T* out, const BroadcastPlan& plan) {
  for_each_broadcast(plan, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
    out[i] = mask[i] != M(0) ? a[ia] : b[ib];
  });
}

// ga[ia] += gout[i] where the mask holds, gb[ib] += gout[i] where it does not. Either gradient may
// be null when that input needs none; both start zeroed.
template <class M, class T>
void where_backward(const M* mask, const T* gout, T* ga, T* gb, const BroadcastPlan& plan) {
  for_each_broadcast(plan, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
    if (mask[i] != M(0)) {
      if (ga)
        ga[ia] += gout[i];
    } else if (gb) {
      gb[ib] += gout[i];
    }
  });
}

} // namespace tapegrad::kernels

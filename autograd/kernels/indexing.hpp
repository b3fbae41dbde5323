#pragma once
// Data movement along one axis of a buffer viewed as [outer, n, inner] (see reduce.hpp's
// AxisView): strided slices, index_select and gather, each with the scatter-add that is its
// backward. Plain loops; they know nothing of tensors or tapes.
#include "autograd/kernels/elementwise.hpp"
#include "autograd/kernels/reduce.hpp"

#include <algorithm>
#include <cstdint>

namespace tapegrad::kernels {

// y[o, j, i] = x[o, start + j * step, i] for j < y_n
template <class T>
void slice_forward(const T* x, T* y, AxisView x_view, std::int64_t start, std::int64_t step,
                   std::int64_t y_n) {
  if (step == 1) { // each slab of the slice is one contiguous run
    for (std::int64_t o = 0; o < x_view.outer; ++o)
      std::copy_n(x + x_view.at(o, start, 0), y_n * x_view.inner, y + o * y_n * x_view.inner);
    return;
  }
  for (std::int64_t o = 0; o < x_view.outer; ++o)
    for (std::int64_t j = 0; j < y_n; ++j)
      for (std::int64_t i = 0; i < x_view.inner; ++i)
        y[(o * y_n + j) * x_view.inner + i] = x[x_view.at(o, start + j * step, i)];
}

// gx[o, start + j * step, i] += gy[o, j, i]
template <class T>
void slice_backward(const T* gy, T* gx, AxisView x_view, std::int64_t start, std::int64_t step,
                    std::int64_t y_n) {
  if (step == 1) { // each slab of the slice is one contiguous run
    const std::int64_t run = y_n * x_view.inner;
    for (std::int64_t o = 0; o < x_view.outer; ++o) {
      T* into = gx + x_view.at(o, start, 0);
      const T* from = gy + o * run;
      for (std::int64_t i = 0; i < run; ++i)
        into[i] += from[i];
    }
    return;
  }
  for (std::int64_t o = 0; o < x_view.outer; ++o)
    for (std::int64_t j = 0; j < y_n; ++j)
      for (std::int64_t i = 0; i < x_view.inner; ++i)
        gx[x_view.at(o, start + j * step, i)] += gy[(o * y_n + j) * x_view.inner + i];
}

// y[o, j, i] = x[o, index[j], i]
template <class T>
void index_select_forward(const T* x, const std::int64_t* index, std::int64_t count, T* y,
                          AxisView x_view) {
  for (std::int64_t o = 0; o < x_view.outer; ++o)
    for (std::int64_t j = 0; j < count; ++j)
      for (std::int64_t i = 0; i < x_view.inner; ++i)
        y[(o * count + j) * x_view.inner + i] = x[x_view.at(o, index[j], i)];
}

// gx[o, index[j], i] += gy[o, j, i]: repeated indices add up
template <class T>
void index_select_backward(const T* gy, const std::int64_t* index, std::int64_t count, T* gx,
                           AxisView x_view) {
  for (std::int64_t o = 0; o < x_view.outer; ++o)
    for (std::int64_t j = 0; j < count; ++j)
      for (std::int64_t i = 0; i < x_view.inner; ++i)
        gx[x_view.at(o, index[j], i)] += gy[(o * count + j) * x_view.inner + i];
}

// y[i] = x[x_offset(i) + index[i] * axis_stride]: the plan walks index's shape with x's strides
// (stride 0 along the gathered axis, whose position comes from index instead).
template <class T>
void gather_forward(const T* x, const std::int64_t* index, T* y, const BroadcastPlan& plan,
                    std::int64_t axis_stride) {
  for_each_broadcast(plan, [&](std::int64_t i, std::int64_t ia, std::int64_t) {
    y[i] = x[ia + index[i] * axis_stride];
  });
}

// gx[x_offset(i) + index[i] * axis_stride] += gy[i]
template <class T>
void gather_backward(const T* gy, const std::int64_t* index, T* gx, const BroadcastPlan& plan,
                     std::int64_t axis_stride) {
  for_each_broadcast(plan, [&](std::int64_t i, std::int64_t ia, std::int64_t) {
    gx[ia + index[i] * axis_stride] += gy[i];
  });
}

} // namespace tapegrad::kernels

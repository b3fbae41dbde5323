#pragma once
// Reductions along one axis of a contiguous buffer viewed as [outer, n, inner]: y[o, i] is reduced
// over x[o, 0..n, i]. The backward loops write (not accumulate) gx of shape [outer, n, inner].
// Plain reference loops; the SIMD and OpenMP versions the ops call are in reduce_simd.hpp. They
// know nothing of tensors or tapes.
#include <cmath>
#include <cstdint>
#include <limits>

namespace tapegrad::kernels {

struct AxisView {
  std::int64_t outer, n, inner;
  std::int64_t at(std::int64_t o, std::int64_t j, std::int64_t i) const {
    return (o * n + j) * inner + i;
  }
};

template <class T> void sum_axis_forward_reference(const T* x, T* y, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      T acc = 0;
      for (std::int64_t j = 0; j < v.n; ++j)
        acc += x[v.at(o, j, i)];
      y[o * v.inner + i] = acc;
    }
}

// gx[o, j, i] = gy[o, i]
template <class T> void sum_axis_backward_reference(const T* gy, T* gx, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t j = 0; j < v.n; ++j)
      for (std::int64_t i = 0; i < v.inner; ++i)
        gx[v.at(o, j, i)] = gy[o * v.inner + i];
}

// y[o, i] = the largest (Max) or smallest x[o, j, i] over j, and index[o, i] (when index is not
// null) the first j where it is. A NaN is more extreme than any number, as in PyTorch: the first
// NaN and its j win. Needs n >= 1.
template <bool Max, class T>
void extreme_axis_forward_reference(const T* x, T* y, std::int64_t* index, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      T best = x[v.at(o, 0, i)];
      std::int64_t at = 0;
      for (std::int64_t j = 1; j < v.n && best == best; ++j) {
        const T value = x[v.at(o, j, i)];
        if (value != value || (Max ? value > best : value < best)) {
          best = value;
          at = j;
        }
      }
      y[o * v.inner + i] = best;
      if (index)
        index[o * v.inner + i] = at;
    }
}

// For amax and amin: the gradient goes to the entries equal to the result, shared evenly when
// several tie (as torch.amax); when the result is NaN, to the NaN entries.
template <class T>
void extreme_axis_backward_reference(const T* x, const T* y, const T* gy, T* gx, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      const T best = y[o * v.inner + i];
      const auto picked = [best](T value) { return best == best ? value == best : value != value; };
      std::int64_t ties = 0;
      for (std::int64_t j = 0; j < v.n; ++j)
        ties += picked(x[v.at(o, j, i)]);
      const T share = ties > 0 ? gy[o * v.inner + i] / static_cast<T>(ties) : T(0);
      for (std::int64_t j = 0; j < v.n; ++j)
        gx[v.at(o, j, i)] = picked(x[v.at(o, j, i)]) ? share : T(0);
    }
}

// gx[o, index[o, i], i] = gy[o, i] and 0 elsewhere: the backward of max(x, axis) and min(x, axis),
// whose gradient goes to the one entry each result came from.
template <class T>
void picked_axis_backward(const T* gy, const std::int64_t* index, T* gx, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t j = 0; j < v.n; ++j)
      for (std::int64_t i = 0; i < v.inner; ++i)
        gx[v.at(o, j, i)] = index[o * v.inner + i] == j ? gy[o * v.inner + i] : T(0);
}

// The shift that keeps exp() in range: the maximum, or 0 when it is infinite (all -inf gives
// -inf, a +inf gives +inf, instead of inf - inf = NaN).
template <class T> T logsumexp_shift(const T* x, std::int64_t stride, std::int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::int64_t j = 0; j < n; ++j)
    m = x[j * stride] > m ? x[j * stride] : m;
  return std::isfinite(m) ? m : T(0);
}

// y = m + log(sum_j exp(x_j - m))
template <class T> void logsumexp_axis_forward_reference(const T* x, T* y, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      const T* row = x + v.at(o, 0, i);
      const T m = logsumexp_shift(row, v.inner, v.n);
      T acc = 0;
      for (std::int64_t j = 0; j < v.n; ++j)
        acc += std::exp(row[j * v.inner] - m);
      y[o * v.inner + i] = m + std::log(acc);
    }
}

// d logsumexp / dx_j = softmax_j = exp(x_j - y)
template <class T>
void logsumexp_axis_backward_reference(const T* x, const T* y, const T* gy, T* gx, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t j = 0; j < v.n; ++j)
      for (std::int64_t i = 0; i < v.inner; ++i) {
        const std::int64_t r = o * v.inner + i;
        gx[v.at(o, j, i)] = gy[r] * std::exp(x[v.at(o, j, i)] - y[r]);
      }
}

// y_j = x_j - logsumexp(x)
template <class T> void log_softmax_axis_forward_reference(const T* x, T* y, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      const T* row = x + v.at(o, 0, i);
      const T m = logsumexp_shift(row, v.inner, v.n);
      T acc = 0;
      for (std::int64_t j = 0; j < v.n; ++j)
        acc += std::exp(row[j * v.inner] - m);
      const T lse = m + std::log(acc);
      for (std::int64_t j = 0; j < v.n; ++j)
        y[v.at(o, j, i)] = row[j * v.inner] - lse;
    }
}

// gx_j = gy_j - softmax_j * sum_k gy_k, with softmax_j = exp(y_j)
template <class T>
void log_softmax_axis_backward_reference(const T* y, const T* gy, T* gx, AxisView v) {
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      T total = 0;
      for (std::int64_t j = 0; j < v.n; ++j)
        total += gy[v.at(o, j, i)];
      for (std::int64_t j = 0; j < v.n; ++j) {
        const std::int64_t k = v.at(o, j, i);
        gx[k] = gy[k] - std::exp(y[k]) * total;
      }
    }
}

} // namespace tapegrad::kernels

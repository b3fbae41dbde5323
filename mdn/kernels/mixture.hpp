#pragma once
// The log-likelihood of a batch of diagonal Gaussian mixtures, one mixture per row, in one pass:
// the kernel behind mdn's fused negative log-likelihood. Per row b, with z = (y_d - mu_kd) / s_kd
// and the Gaussian's pieces from gaussian.hpp,
//
//   joint[b, k] = log_pi[b, k] - sum_d (z^2 / 2 + log s_kd) - (D/2) log(2 pi)
//   lse[b]      = logsumexp_k joint[b, k]
//
// and its backward, given the weight w_b = dL/dlse[b] of each row:
//
//   r_k = exp(joint[b, k] - lse[b])     (the responsibility of component k)
//   dlog_pi[b, k] = w_b r_k;   dmu_kd = w_b r_k z / s_kd;   ds_kd = w_b r_k (z^2 - 1) / s_kd
//
// Scales are [B, K, D] (diagonal) or [B, K, 1] (isotropic, fixed: one scale shared by the D
// coordinates, whose gradient sums over them). The plain *_reference loops come first; the SIMD
// versions run the rows in fixed blocks, so no result depends on the number of threads. They know
// nothing of tensors or tapes.
#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/simd.hpp"
#include "mdn/kernels/gaussian.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace tapegrad::mdn::kernels {

using tapegrad::kernels::Batch;
using tapegrad::kernels::ceil_div;
using tapegrad::kernels::kWidth;
using tapegrad::kernels::load;
using tapegrad::kernels::parallel_blocks;
using tapegrad::kernels::store;

struct MixtureView {
  std::int64_t batch, components, dim;
  bool shared_scale; // scale is [B, K, 1]
  std::int64_t scale_index(std::int64_t k, std::int64_t d) const {
    return shared_scale ? k : k * dim + d;
  }
  std::int64_t scales_per_row() const { return shared_scale ? components : components * dim; }
};

template <class T> using AlignedVector = std::vector<T, xsimd::aligned_allocator<T, 64>>;

// ----- the reference loops -----

// joint [B, K] and lse [B] as above.
template <class T>
void diagonal_mixture_forward_reference(const T* log_pi, const T* mean, const T* scale, const T* y,
                                        T* joint, T* lse, MixtureView v) {
  const T normalizer = static_cast<T>(gaussian_log_normalizer(v.dim));
  for (std::int64_t b = 0; b < v.batch; ++b) {
    T* row = joint + b * v.components;
    T best = -std::numeric_limits<T>::infinity();
    for (std::int64_t k = 0; k < v.components; ++k) {
      T energy = 0;
      for (std::int64_t d = 0; d < v.dim; ++d) {
        const T s = scale[b * v.scales_per_row() + v.scale_index(k, d)];
        const T z = (y[b * v.dim + d] - mean[(b * v.components + k) * v.dim + d]) / s;
        energy += gaussian_energy(z, std::log(s));
      }
      row[k] = log_pi[b * v.components + k] - energy - normalizer;
      best = std::max(best, row[k]);
    }
    const T shift = std::isfinite(best) ? best : T(0);
    T total = 0;
    for (std::int64_t k = 0; k < v.components; ++k)
      total += std::exp(row[k] - shift);
    lse[b] = shift + std::log(total);
  }
}

// g_log_pi [B, K], g_mean [B, K, D], g_scale (the scale's shape), all overwritten.
template <class T>
void diagonal_mixture_backward_reference(const T* mean, const T* scale, const T* y, const T* joint,
                                         const T* lse, const T* weight, T* g_log_pi, T* g_mean,
                                         T* g_scale, MixtureView v) {
  for (std::int64_t b = 0; b < v.batch; ++b)
    for (std::int64_t k = 0; k < v.components; ++k) {
      const T wr = weight[b] * std::exp(joint[b * v.components + k] - lse[b]);
      g_log_pi[b * v.components + k] = wr;
      if (v.shared_scale)
        g_scale[b * v.components + k] = 0;
      for (std::int64_t d = 0; d < v.dim; ++d) {
        const std::int64_t si = b * v.scales_per_row() + v.scale_index(k, d);
        const std::int64_t mi = (b * v.components + k) * v.dim + d;
        const T s = scale[si];
        const T z = (y[b * v.dim + d] - mean[mi]) / s;
        g_mean[mi] = wr * z / s;
        if (v.shared_scale)
          g_scale[si] += wr * (z * z - T(1)) / s;
        else
          g_scale[si] = wr * (z * z - T(1)) / s;
      }
    }
}

// ----- the SIMD kernels -----

namespace detail {

// Rows per parallel block: about 4096 coordinates, so a block's buffers stay in L1/L2.
inline std::int64_t rows_per_block(const MixtureView& v) {
  return std::max<std::int64_t>(1, 4096 / (v.components * v.dim + 1));
}

// lse = shift + log sum_k exp(joint_k - shift) for one row, its joint copied into `padded` (whose
// tail past K holds -inf, so exp gives 0 there); shift is the row's maximum, or 0 when that is not
// finite.
template <class T>
T row_logsumexp(const T* joint, std::int64_t components, AlignedVector<T>& padded) {
  constexpr std::int64_t w = kWidth<T>;
  std::copy_n(joint, components, padded.data());
  const T best = *std::max_element(joint, joint + components);
  const T shift = std::isfinite(best) ? best : T(0);
  Batch<T> total(T(0));
  for (std::int64_t k = 0; k < static_cast<std::int64_t>(padded.size()); k += w)
    total += xsimd::exp(Batch<T>::load_aligned(padded.data() + k) - Batch<T>(shift));
  return shift + std::log(xsimd::hadd(total));
}

// One row's operands copied into batch-padded buffers: every coordinate j = k * D + d of the
// row with its y, mean and scale side by side, the padding set to values that give exp() = 0.
template <class T> struct MixtureRow {
  std::int64_t coords = 0, coords_padded = 0, comps_padded = 0;
  AlignedVector<T> y, mu, s, q, joint;

  explicit MixtureRow(const MixtureView& v) {
    coords = v.components * v.dim;
    coords_padded = ceil_div(coords, kWidth<T>) * kWidth<T>;
    comps_padded = ceil_div(v.components, kWidth<T>) * kWidth<T>;
    y.assign(static_cast<std::size_t>(coords_padded), T(0));
    mu.assign(static_cast<std::size_t>(coords_padded), T(0));
    s.assign(static_cast<std::size_t>(coords_padded), T(1));
    q.assign(static_cast<std::size_t>(coords_padded), T(0));
    joint.assign(static_cast<std::size_t>(comps_padded), -std::numeric_limits<T>::infinity());
  }

  // Loads row b; the padding keeps its neutral values.
  void load_row(const T* mean, const T* scale, const T* yv, std::int64_t b, const MixtureView& v) {
    const T* m = mean + b * coords;
    const T* sc = scale + b * v.scales_per_row();
    const T* yr = yv + b * v.dim;
    std::copy_n(m, coords, mu.data());
    if (v.shared_scale) {
      for (std::int64_t k = 0; k < v.components; ++k)
        std::fill_n(s.data() + k * v.dim, v.dim, sc[k]);
    } else {
      std::copy_n(sc, coords, s.data());
    }
    if (v.dim == 1)
      std::fill_n(y.data(), coords, yr[0]);
    else
      for (std::int64_t k = 0; k < v.components; ++k)
        std::copy_n(yr, v.dim, y.data() + k * v.dim);
  }
};

// The forward of rows [b0, b1) for D = 1 with a scale per component (a univariate MDN): the
// coordinates of the rows are one flat run of rows * K values, so z, log s and the joint are
// computed across rows in whole SIMD batches, with no per-row copies; only the logsumexp is per
// row.
template <class T>
void univariate_forward_rows(const T* log_pi, const T* mean, const T* scale, const T* y, T* joint,
                             T* lse, const MixtureView& v, std::int64_t b0, std::int64_t b1) {
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t comps = v.components, n = (b1 - b0) * comps, offset = b0 * comps;
  const T normalizer = static_cast<T>(gaussian_log_normalizer(1));
  AlignedVector<T> ye(static_cast<std::size_t>(n)),
      row(static_cast<std::size_t>(ceil_div(comps, w) * w), -std::numeric_limits<T>::infinity());
  for (std::int64_t b = b0; b < b1; ++b)
    std::fill_n(ye.data() + (b - b0) * comps, comps, y[b]);
  const T *lp = log_pi + offset, *mu = mean + offset, *sc = scale + offset;
  T* out = joint + offset;
  const Batch<T> c(normalizer);
  std::int64_t j = 0;
  for (; j + w <= n; j += w) {
    const Batch<T> s = load(sc + j), z = (load(ye.data() + j) - load(mu + j)) / s;
    store(out + j, load(lp + j) - gaussian_energy(z, xsimd::log(s)) - c);
  }
  for (; j < n; ++j) {
    const T z = (ye[static_cast<std::size_t>(j)] - mu[j]) / sc[j];
    out[j] = lp[j] - gaussian_energy(z, std::log(sc[j])) - normalizer;
  }
  for (std::int64_t b = b0; b < b1; ++b)
    lse[b] = row_logsumexp(joint + b * comps, comps, row);
}

// The forward of rows [b0, b1) in general (any D, shared or per-coordinate scales): each row is
// copied into padded buffers, its energies computed in SIMD batches and summed per component.
template <class T>
void diagonal_forward_rows(const T* log_pi, const T* mean, const T* scale, const T* y, T* joint,
                           T* lse, const MixtureView& v, std::int64_t b0, std::int64_t b1) {
  constexpr std::int64_t w = kWidth<T>;
  const T normalizer = static_cast<T>(gaussian_log_normalizer(v.dim));
  MixtureRow<T> row(v);
  for (std::int64_t b = b0; b < b1; ++b) {
    row.load_row(mean, scale, y, b, v);
    // q_j = z^2 / 2 + log s over the padded row (padding: z = 0, s = 1, so q = 0).
    for (std::int64_t j = 0; j < row.coords_padded; j += w) {
      const Batch<T> s = Batch<T>::load_aligned(row.s.data() + j);
      const Batch<T> z =
          (Batch<T>::load_aligned(row.y.data() + j) - Batch<T>::load_aligned(row.mu.data() + j)) /
          s;
      gaussian_energy(z, xsimd::log(s)).store_aligned(row.q.data() + j);
    }
    T* out = joint + b * v.components;
    const T* lp = log_pi + b * v.components;
    for (std::int64_t k = 0; k < v.components; ++k) {
      T energy = 0;
      for (std::int64_t d = 0; d < v.dim; ++d)
        energy += row.q[static_cast<std::size_t>(k * v.dim + d)];
      out[k] = lp[k] - energy - normalizer;
    }
    lse[b] = row_logsumexp(out, v.components, row.joint);
  }
}

// The backward of rows [b0, b1) for D = 1 with a scale per component, flat across the rows as in
// the forward: each row's y, lse and weight spread over its K coordinates, then every gradient is
// one pass of whole SIMD batches (scalar tail).
template <class T>
void univariate_backward_rows(const T* mean, const T* scale, const T* y, const T* joint,
                              const T* lse, const T* weight, T* g_log_pi, T* g_mean, T* g_scale,
                              const MixtureView& v, std::int64_t b0, std::int64_t b1) {
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t comps = v.components, n = (b1 - b0) * comps, offset = b0 * comps;
  AlignedVector<T> ye(static_cast<std::size_t>(n)), le(static_cast<std::size_t>(n)),
      we(static_cast<std::size_t>(n));
  for (std::int64_t b = b0; b < b1; ++b) {
    const std::int64_t at = (b - b0) * comps;
    std::fill_n(ye.data() + at, comps, y[b]);
    std::fill_n(le.data() + at, comps, lse[b]);
    std::fill_n(we.data() + at, comps, weight[b]);
  }
  const T *mu = mean + offset, *sc = scale + offset, *jt = joint + offset;
  T *glp = g_log_pi + offset, *gm = g_mean + offset, *gs = g_scale + offset;
  const Batch<T> one(T(1));
  std::int64_t j = 0;
  for (; j + w <= n; j += w) {
    const Batch<T> wr = load(we.data() + j) * xsimd::exp(load(jt + j) - load(le.data() + j));
    const Batch<T> inv = one / load(sc + j);
    const Batch<T> z = (load(ye.data() + j) - load(mu + j)) * inv, g = wr * inv;
    store(glp + j, wr);
    store(gm + j, g * z);
    store(gs + j, g * (z * z - one));
  }
  for (; j < n; ++j) {
    const std::size_t e = static_cast<std::size_t>(j);
    const T wr = we[e] * std::exp(jt[j] - le[e]);
    const T inv = T(1) / sc[j];
    const T z = (ye[e] - mu[j]) * inv, g = wr * inv;
    glp[j] = wr;
    gm[j] = g * z;
    gs[j] = g * (z * z - T(1));
  }
}

// The backward of rows [b0, b1) in general, one padded row at a time.
template <class T>
void diagonal_backward_rows(const T* mean, const T* scale, const T* y, const T* joint, const T* lse,
                            const T* weight, T* g_log_pi, T* g_mean, T* g_scale,
                            const MixtureView& v, std::int64_t b0, std::int64_t b1) {
  constexpr std::int64_t w = kWidth<T>;
  MixtureRow<T> row(v);
  // wr_j: the row's weight times the responsibility of coordinate j's component.
  AlignedVector<T> wr(static_cast<std::size_t>(row.coords_padded), T(0)),
      g_mu(static_cast<std::size_t>(row.coords_padded)),
      g_s(static_cast<std::size_t>(row.coords_padded));
  const Batch<T> one(T(1));
  for (std::int64_t b = b0; b < b1; ++b) {
    row.load_row(mean, scale, y, b, v);
    std::copy_n(joint + b * v.components, v.components, row.joint.data());
    const Batch<T> shift(lse[b]), wb(weight[b]);
    for (std::int64_t k = 0; k < row.comps_padded; k += w) // q reused: w_b r_k
      (wb * xsimd::exp(Batch<T>::load_aligned(row.joint.data() + k) - shift))
          .store_aligned(row.q.data() + k);
    std::copy_n(row.q.data(), v.components, g_log_pi + b * v.components);
    if (v.dim == 1)
      std::copy_n(row.q.data(), v.components, wr.data());
    else
      for (std::int64_t k = 0; k < v.components; ++k)
        std::fill_n(wr.data() + k * v.dim, v.dim, row.q[static_cast<std::size_t>(k)]);
    for (std::int64_t j = 0; j < row.coords_padded; j += w) {
      const Batch<T> inv = one / Batch<T>::load_aligned(row.s.data() + j);
      const Batch<T> z =
          (Batch<T>::load_aligned(row.y.data() + j) - Batch<T>::load_aligned(row.mu.data() + j)) *
          inv;
      const Batch<T> g = Batch<T>::load_aligned(wr.data() + j) * inv;
      (g * z).store_aligned(g_mu.data() + j);
      (g * (z * z - one)).store_aligned(g_s.data() + j);
    }
    std::copy_n(g_mu.data(), row.coords, g_mean + b * row.coords);
    T* gs = g_scale + b * v.scales_per_row();
    if (v.shared_scale) {
      for (std::int64_t k = 0; k < v.components; ++k) {
        T acc = 0;
        for (std::int64_t d = 0; d < v.dim; ++d)
          acc += g_s[static_cast<std::size_t>(k * v.dim + d)];
        gs[k] = acc;
      }
    } else {
      std::copy_n(g_s.data(), row.coords, gs);
    }
  }
}

} // namespace detail

template <class T>
void diagonal_mixture_forward(const T* log_pi, const T* mean, const T* scale, const T* y, T* joint,
                              T* lse, MixtureView v) {
  const std::int64_t per_block = detail::rows_per_block(v);
  const bool univariate = v.dim == 1 && !v.shared_scale;
  const auto forward_block = [&](std::int64_t block) {
    const std::int64_t b0 = block * per_block, b1 = std::min(v.batch, b0 + per_block);
    if (univariate)
      detail::univariate_forward_rows(log_pi, mean, scale, y, joint, lse, v, b0, b1);
    else
      detail::diagonal_forward_rows(log_pi, mean, scale, y, joint, lse, v, b0, b1);
  };
  parallel_blocks(ceil_div(v.batch, per_block), v.batch * v.components * v.dim * 8, forward_block);
}

template <class T>
void diagonal_mixture_backward(const T* mean, const T* scale, const T* y, const T* joint,
                               const T* lse, const T* weight, T* g_log_pi, T* g_mean, T* g_scale,
                               MixtureView v) {
  const std::int64_t per_block = detail::rows_per_block(v);
  const bool univariate = v.dim == 1 && !v.shared_scale;
  const auto backward_block = [&](std::int64_t block) {
    const std::int64_t b0 = block * per_block, b1 = std::min(v.batch, b0 + per_block);
    if (univariate)
      detail::univariate_backward_rows(mean, scale, y, joint, lse, weight, g_log_pi, g_mean,
                                       g_scale, v, b0, b1);
    else
      detail::diagonal_backward_rows(mean, scale, y, joint, lse, weight, g_log_pi, g_mean, g_scale,
                                     v, b0, b1);
  };
  parallel_blocks(ceil_div(v.batch, per_block), v.batch * v.components * v.dim * 8, backward_block);
}

} // namespace tapegrad::mdn::kernels

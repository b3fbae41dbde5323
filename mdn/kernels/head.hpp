#pragma once
// The mixture head's activations and the batch's mean negative log-likelihood in one pass: what
// MDN::nll runs for the diagonal, isotropic and fixed noise models. Its input is the head's
// stacked linear outputs, a row of width K + K*D + S per example: the K mixing logits a, the K*D
// means, then the S scale pre-activations u (K*D for diagonal, K for isotropic, none for fixed).
// Per row,
//
//   log_pi_k = a_k - logsumexp(a)
//   s        = softplus(u) + min_scale                (fixed: s = fixed_scale)
//   z_kd     = (y_d - mu_kd) / s_kd
//   joint_k  = log_pi_k - sum_d (z^2 / 2 + log s_kd) - (D/2) log 2 pi
//   lse      = logsumexp_k joint_k                     loss = -(1/B) sum_b lse_b
//
// and, with w = dL/dlse (the same for every row: the loss is a mean) and r_k = exp(joint_k - lse),
//
//   g_k = w r_k;   da_k = g_k - pi_k sum_j g_j           (log_softmax's backward)
//   dmu_kd = g_k z / s;   ds_kd = g_k (z^2 - 1) / s      (summed over d for a shared scale)
//   du = ds sigmoid(u);   dy_d = -sum_k dmu_kd
//
// the arithmetic of the composed ops (log_softmax, softplus, the scalar add and the diagonal
// mixture kernel of mixture.hpp) without their intermediate tensors and records. The SIMD
// version takes the rows a SIMD width at a time, transposed so that each lane holds a row: a
// head's K is often a fraction of a batch (5 or 10 components), and across rows every lane
// works. The plain *_reference loops come first.
#include "autograd/kernels/elementwise_ops.hpp"
#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/simd.hpp"
#include "mdn/kernels/gaussian.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace tapegrad::mdn::kernels {

enum class HeadScales { PerCoordinate, PerComponent, Fixed };

struct HeadView {
  std::int64_t batch, components, dim;
  HeadScales scales;
  double min_scale;   // added to softplus(u)
  double fixed_scale; // the scale of every component under HeadScales::Fixed

  std::int64_t scale_count() const {
    return scales == HeadScales::PerCoordinate  ? components * dim
           : scales == HeadScales::PerComponent ? components
                                                : 0;
  }
  std::int64_t width() const { return components * (1 + dim) + scale_count(); }
  std::int64_t mean_column(std::int64_t k, std::int64_t d) const {
    return components + k * dim + d;
  }
  std::int64_t scale_column(std::int64_t k, std::int64_t d) const {
    return components * (1 + dim) + (scales == HeadScales::PerCoordinate ? k * dim + d : k);
  }
};

// What the forward keeps for the backward: joint [B, K], and per row the logits' logsumexp and
// the row's lse.
template <class T> struct HeadSaved {
  T* joint;
  T* logits_lse;
  T* lse;
};

namespace detail {

// A learned scale softplus(u) + min_scale, and its derivative with respect to u.
template <class V> V learned_scale(V u, const HeadView& v) {
  using E = typename V::value_type;
  return tapegrad::kernels::softplus_op::value(u, u, u) + V(static_cast<E>(v.min_scale));
}
template <class V> V learned_scale_derivative(V u) {
  return tapegrad::kernels::softplus_op::derivative(u, u, u, u);
}

} // namespace detail

// ----- the reference loops -----

// Returns the sum over rows of lse (the loss is -sum / B).
template <class T>
T head_nll_forward_reference(const T* out, const T* y, HeadSaved<T> saved, HeadView v) {
  using tapegrad::kernels::softplus_op;
  const std::int64_t w = v.width();
  const T normalizer = static_cast<T>(gaussian_log_normalizer(v.dim));
  const auto logsumexp = [](const T* x, std::int64_t n) {
    T best = -std::numeric_limits<T>::infinity();
    for (std::int64_t i = 0; i < n; ++i)
      best = x[i] > best ? x[i] : best;
    const T shift = std::isfinite(best) ? best : T(0);
    T total = 0;
    for (std::int64_t i = 0; i < n; ++i)
      total += std::exp(x[i] - shift);
    return shift + std::log(total);
  };
  T sum = 0;
  for (std::int64_t b = 0; b < v.batch; ++b) {
    const T* row = out + b * w;
    const T lse_a = logsumexp(row, v.components);
    T* joint = saved.joint + b * v.components;
    for (std::int64_t k = 0; k < v.components; ++k) {
      T energy = 0;
      for (std::int64_t d = 0; d < v.dim; ++d) {
        const T s = v.scales == HeadScales::Fixed
                        ? static_cast<T>(v.fixed_scale)
                        : softplus_op::value(row[v.scale_column(k, d)], T(0), T(0)) +
                              static_cast<T>(v.min_scale);
        const T z = (y[b * v.dim + d] - row[v.mean_column(k, d)]) / s;
        energy += gaussian_energy(z, std::log(s));
      }
      joint[k] = (row[k] - lse_a) - energy - normalizer;
    }
    saved.logits_lse[b] = lse_a;
    saved.lse[b] = logsumexp(joint, v.components);
    sum += saved.lse[b];
  }
  return sum;
}

// d_out [B, width] overwritten; d_y [B, D] overwritten when not null. weight = dL/dlse.
template <class T>
void head_nll_backward_reference(const T* out, const T* y, HeadSaved<T> saved, T weight, T* d_out,
                                 T* d_y, HeadView v) {
  using tapegrad::kernels::softplus_op;
  const std::int64_t w = v.width();
  std::vector<T> g(static_cast<std::size_t>(v.components));
  for (std::int64_t b = 0; b < v.batch; ++b) {
    const T* row = out + b * w;
    T* d_row = d_out + b * w;
    T total = 0;
    for (std::int64_t k = 0; k < v.components; ++k) {
      g[k] = weight * std::exp(saved.joint[b * v.components + k] - saved.lse[b]);
      total += g[k];
    }
    for (std::int64_t k = 0; k < v.components; ++k)
      d_row[k] = g[k] - std::exp(row[k] - saved.logits_lse[b]) * total;
    if (d_y)
      std::fill_n(d_y + b * v.dim, v.dim, T(0));
    for (std::int64_t k = 0; k < v.components; ++k) {
      T shared = 0; // a shared scale's gradient, summed over d
      for (std::int64_t d = 0; d < v.dim; ++d) {
        const T u = v.scales == HeadScales::Fixed ? T(0) : row[v.scale_column(k, d)];
        const T s = v.scales == HeadScales::Fixed
                        ? static_cast<T>(v.fixed_scale)
                        : softplus_op::value(u, T(0), T(0)) + static_cast<T>(v.min_scale);
        const T inv = T(1) / s;
        const T z = (y[b * v.dim + d] - row[v.mean_column(k, d)]) * inv, gk = g[k] * inv;
        d_row[v.mean_column(k, d)] = gk * z;
        if (d_y)
          d_y[b * v.dim + d] -= gk * z;
        const T ds = gk * (z * z - T(1));
        if (v.scales == HeadScales::PerCoordinate)
          d_row[v.scale_column(k, d)] = ds * softplus_op::derivative(u, s, T(0), T(0));
        else
          shared += ds;
      }
      if (v.scales == HeadScales::PerComponent) {
        const T u = row[v.scale_column(k, 0)];
        d_row[v.scale_column(k, 0)] = shared * softplus_op::derivative(u, u, T(0), T(0));
      }
    }
  }
}

// ----- the SIMD kernels -----

namespace detail {

using tapegrad::kernels::Batch;
using tapegrad::kernels::kWidth;

template <class T> using AlignedVector = std::vector<T, xsimd::aligned_allocator<T, 64>>;

// Rows [b0, b0 + width) of `rows` (row length n, stride n) transposed into lanes: column c of the
// rows is soa[c * width ...]. Lanes past the last row repeat it (their results are dropped).
template <class T>
void transpose_rows_in(const T* rows, std::int64_t n, std::int64_t b0, std::int64_t batch, T* soa) {
  constexpr std::int64_t w = kWidth<T>;
  for (std::int64_t r = 0; r < w; ++r) {
    const T* row = rows + std::min(b0 + r, batch - 1) * n;
    for (std::int64_t c = 0; c < n; ++c)
      soa[c * w + r] = row[c];
  }
}

template <class T>
void transpose_rows_out(const T* soa, std::int64_t n, std::int64_t b0, std::int64_t batch,
                        T* rows) {
  constexpr std::int64_t w = kWidth<T>;
  for (std::int64_t r = 0; r < std::min(w, batch - b0); ++r) {
    T* row = rows + (b0 + r) * n;
    for (std::int64_t c = 0; c < n; ++c)
      row[c] = soa[c * w + r];
  }
}

// logsumexp over the n batches x[0], x[w], ..., lane by lane, shifted by the largest value (0
// when that is not finite), as the reference.
template <class T> Batch<T> lanes_logsumexp(const T* x, std::int64_t n) {
  constexpr std::int64_t w = kWidth<T>;
  Batch<T> best(-std::numeric_limits<T>::infinity());
  for (std::int64_t i = 0; i < n; ++i) {
    const Batch<T> xi = Batch<T>::load_aligned(x + i * w);
    best = xsimd::select(xi > best, xi, best);
  }
  const Batch<T> shift = xsimd::select(xsimd::isfinite(best), best, Batch<T>(T(0)));
  Batch<T> total(T(0));
  for (std::int64_t i = 0; i < n; ++i)
    total += xsimd::exp(Batch<T>::load_aligned(x + i * w) - shift);
  return shift + xsimd::log(total);
}

// One block of kWidth rows starting at b0: forward. Returns the lanes' lse (past-the-end lanes
// zeroed) for the caller's sum.
template <class T>
Batch<T> head_forward_lanes(const T* out, const T* y, HeadSaved<T> saved, const HeadView& v,
                            std::int64_t b0, T* soa, T* y_soa, T* joint_soa) {
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t n = v.width(), kk = v.components;
  const Batch<T> normalizer(static_cast<T>(gaussian_log_normalizer(v.dim)));
  transpose_rows_in(out, n, b0, v.batch, soa);
  transpose_rows_in(y, v.dim, b0, v.batch, y_soa);
  const auto at = [&](std::int64_t column) { return Batch<T>::load_aligned(soa + column * w); };
  const Batch<T> fixed(static_cast<T>(v.fixed_scale));
  const Batch<T> lse_a = lanes_logsumexp(soa, kk);
  for (std::int64_t k = 0; k < kk; ++k) {
    Batch<T> energy(T(0));
    for (std::int64_t d = 0; d < v.dim; ++d) {
      const Batch<T> s =
          v.scales == HeadScales::Fixed ? fixed : learned_scale(at(v.scale_column(k, d)), v);
      const Batch<T> z = (Batch<T>::load_aligned(y_soa + d * w) - at(v.mean_column(k, d))) / s;
      energy += gaussian_energy(z, xsimd::log(s));
    }
    ((at(k) - lse_a) - energy - normalizer).store_aligned(joint_soa + k * w);
  }
  const Batch<T> lse = lanes_logsumexp(joint_soa, kk);
  transpose_rows_out(joint_soa, kk, b0, v.batch, saved.joint);
  alignas(64) T lanes[2][w];
  lse_a.store_aligned(lanes[0]);
  lse.store_aligned(lanes[1]);
  const std::int64_t valid = std::min(w, v.batch - b0);
  std::copy_n(lanes[0], valid, saved.logits_lse + b0);
  std::copy_n(lanes[1], valid, saved.lse + b0);
  std::fill(lanes[1] + valid, lanes[1] + w, T(0));
  return Batch<T>::load_aligned(lanes[1]);
}

// One block of kWidth rows starting at b0: backward.
template <class T>
void head_backward_lanes(const T* out, const T* y, HeadSaved<T> saved, T weight, T* d_out, T* d_y,
                         const HeadView& v, std::int64_t b0, T* soa, T* y_soa, T* g_soa, T* d_soa) {
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t n = v.width(), kk = v.components;
  transpose_rows_in(out, n, b0, v.batch, soa);
  transpose_rows_in(y, v.dim, b0, v.batch, y_soa);
  transpose_rows_in(saved.joint, kk, b0, v.batch, g_soa);
  alignas(64) T lanes[2][w];
  for (std::int64_t r = 0; r < w; ++r) {
    const std::int64_t b = std::min(b0 + r, v.batch - 1);
    lanes[0][r] = saved.logits_lse[b];
    lanes[1][r] = saved.lse[b];
  }
  const Batch<T> lse_a = Batch<T>::load_aligned(lanes[0]), lse = Batch<T>::load_aligned(lanes[1]);
  const Batch<T> wb(weight), one(T(1)), fixed(static_cast<T>(v.fixed_scale));
  const auto at = [&](std::int64_t column) { return Batch<T>::load_aligned(soa + column * w); };
  Batch<T> total(T(0));
  for (std::int64_t k = 0; k < kk; ++k) { // g_soa: joint in, g = w r out
    const Batch<T> g = wb * xsimd::exp(Batch<T>::load_aligned(g_soa + k * w) - lse);
    g.store_aligned(g_soa + k * w);
    total += g;
  }
  for (std::int64_t k = 0; k < kk; ++k)
    (Batch<T>::load_aligned(g_soa + k * w) - xsimd::exp(at(k) - lse_a) * total)
        .store_aligned(d_soa + k * w);
  std::fill_n(y_soa + v.dim * w, v.dim * w, T(0)); // d_y accumulates after y
  for (std::int64_t k = 0; k < kk; ++k) {
    const Batch<T> gk_in = Batch<T>::load_aligned(g_soa + k * w);
    Batch<T> shared(T(0));
    for (std::int64_t d = 0; d < v.dim; ++d) {
      const Batch<T> u = v.scales == HeadScales::Fixed ? fixed : at(v.scale_column(k, d));
      const Batch<T> inv = one / (v.scales == HeadScales::Fixed ? fixed : learned_scale(u, v));
      const Batch<T> z = (Batch<T>::load_aligned(y_soa + d * w) - at(v.mean_column(k, d))) * inv;
      const Batch<T> gk = gk_in * inv, dmu = gk * z, ds = gk * (z * z - one);
      dmu.store_aligned(d_soa + v.mean_column(k, d) * w);
      T* dy = y_soa + (v.dim + d) * w;
      (Batch<T>::load_aligned(dy) - dmu).store_aligned(dy);
      if (v.scales == HeadScales::PerCoordinate)
        (ds * learned_scale_derivative(u)).store_aligned(d_soa + v.scale_column(k, d) * w);
      else
        shared += ds;
    }
    if (v.scales == HeadScales::PerComponent)
      (shared * learned_scale_derivative(at(v.scale_column(k, 0))))
          .store_aligned(d_soa + v.scale_column(k, 0) * w);
  }
  transpose_rows_out(d_soa, n, b0, v.batch, d_out);
  if (d_y)
    transpose_rows_out(y_soa + v.dim * w, v.dim, b0, v.batch, d_y);
}

// Rows per parallel block: whole SIMD widths, about 2048 values of the outputs.
template <class T> std::int64_t head_rows_per_block(const HeadView& v) {
  const std::int64_t lanes = std::max<std::int64_t>(1, 2048 / (v.width() * kWidth<T>));
  return lanes * kWidth<T>;
}

} // namespace detail

// Returns the sum over rows of lse, summed block by block in order (the same bits on any number
// of threads).
template <class T> T head_nll_forward(const T* out, const T* y, HeadSaved<T> saved, HeadView v) {
  using namespace detail;
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t per_block = head_rows_per_block<T>(v);
  const std::int64_t blocks = tapegrad::kernels::ceil_div(v.batch, per_block);
  AlignedVector<T> sums(static_cast<std::size_t>(blocks * w));
  tapegrad::kernels::parallel_blocks(blocks, v.batch * v.width() * 16, [&](std::int64_t block) {
    AlignedVector<T> soa(static_cast<std::size_t>(v.width() * w)),
        y_soa(static_cast<std::size_t>(v.dim * w)),
        joint_soa(static_cast<std::size_t>(v.components * w));
    Batch<T> sum(T(0));
    for (std::int64_t b0 = block * per_block; b0 < std::min(v.batch, (block + 1) * per_block);
         b0 += w)
      sum += head_forward_lanes(out, y, saved, v, b0, soa.data(), y_soa.data(), joint_soa.data());
    sum.store_aligned(sums.data() + block * w);
  });
  Batch<T> total(T(0));
  for (std::int64_t block = 0; block < blocks; ++block)
    total += Batch<T>::load_aligned(sums.data() + block * w);
  return xsimd::hadd(total);
}

template <class T>
void head_nll_backward(const T* out, const T* y, HeadSaved<T> saved, T weight, T* d_out, T* d_y,
                       HeadView v) {
  using namespace detail;
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t per_block = head_rows_per_block<T>(v);
  const std::int64_t blocks = tapegrad::kernels::ceil_div(v.batch, per_block);
  tapegrad::kernels::parallel_blocks(blocks, v.batch * v.width() * 16, [&](std::int64_t block) {
    AlignedVector<T> soa(static_cast<std::size_t>(v.width() * w)),
        y_soa(static_cast<std::size_t>(2 * v.dim * w)),
        g_soa(static_cast<std::size_t>(v.components * w)),
        d_soa(static_cast<std::size_t>(v.width() * w));
    for (std::int64_t b0 = block * per_block; b0 < std::min(v.batch, (block + 1) * per_block);
         b0 += w)
      head_backward_lanes(out, y, saved, weight, d_out, d_y, v, b0, soa.data(), y_soa.data(),
                          g_soa.data(), d_soa.data());
  });
}

} // namespace tapegrad::mdn::kernels

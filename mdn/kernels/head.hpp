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
// works. Its forward keeps the transposed rows with each scale and its derivative (sigmoid(u),
// from the same exp(-|u|) as softplus), so that its backward needs no exp or log of the scales
// and no second transpose. The plain *_reference loops come first.
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

// What the forward keeps for the backward (`saved`, head_saved_size elements): the reference
// keeps joint [B, K] and per row the logits' logsumexp and lse; the SIMD kernels their own
// layout (detail::LaneLayout). A forward's record is read only by the backward of the same kind.
inline std::int64_t head_lanes_per_row(const HeadView& v) {
  return v.width() + v.scale_count() + v.dim + v.components + 2;
}
template <class T> std::int64_t head_saved_size(const HeadView& v) {
  constexpr std::int64_t w = tapegrad::kernels::kWidth<T>;
  return tapegrad::kernels::ceil_div(v.batch, w) * w * head_lanes_per_row(v);
}

namespace detail {} // namespace detail

// ----- the reference loops -----

// Returns the sum over rows of lse (the loss is -sum / B).
template <class T> T head_nll_forward_reference(const T* out, const T* y, T* saved, HeadView v) {
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
    T* joint = saved + b * v.components;
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
    T* per_row = saved + v.batch * v.components + 2 * b;
    per_row[0] = lse_a;
    per_row[1] = logsumexp(joint, v.components);
    sum += per_row[1];
  }
  return sum;
}

// d_out [B, width] overwritten; d_y [B, D] overwritten when not null. weight = dL/dlse.
template <class T>
void head_nll_backward_reference(const T* out, const T* y, const T* saved, T weight, T* d_out,
                                 T* d_y, HeadView v) {
  using tapegrad::kernels::softplus_op;
  const std::int64_t w = v.width();
  std::vector<T> g(static_cast<std::size_t>(v.components));
  for (std::int64_t b = 0; b < v.batch; ++b) {
    const T* row = out + b * w;
    T* d_row = d_out + b * w;
    const T* per_row = saved + v.batch * v.components + 2 * b;
    T total = 0;
    for (std::int64_t k = 0; k < v.components; ++k) {
      g[k] = weight * std::exp(saved[b * v.components + k] - per_row[1]);
      total += g[k];
    }
    for (std::int64_t k = 0; k < v.components; ++k)
      d_row[k] = g[k] - std::exp(row[k] - per_row[0]) * total;
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
    const Batch<T> xi = Batch<T>::load_unaligned(x + i * w);
    best = xsimd::select(xi > best, xi, best);
  }
  const Batch<T> shift = xsimd::select(xsimd::isfinite(best), best, Batch<T>(T(0)));
  Batch<T> total(T(0));
  for (std::int64_t i = 0; i < n; ++i)
    total += xsimd::exp(Batch<T>::load_unaligned(x + i * w) - shift);
  return shift + xsimd::log(total);
}

// Where each quantity of a block of kWidth rows sits in the SIMD kernels' record, in batches: the
// transposed logits and means, the scales s and their derivatives ds/du (in place of u), y, the
// joint log-densities, then the logits' logsumexp and the lse.
struct LaneLayout {
  std::int64_t logits, means, scales, slopes, y, joint, logits_lse, lse, per_block;
  explicit LaneLayout(const HeadView& v)
      : logits(0), means(v.components), scales(means + v.components * v.dim),
        slopes(scales + v.scale_count()), y(slopes + v.scale_count()), joint(y + v.dim),
        logits_lse(joint + v.components), lse(logits_lse + 1), per_block(lse + 1) {}
  // The index of coordinate (k, d)'s scale among the scales.
  static std::int64_t scale(const HeadView& v, std::int64_t k, std::int64_t d) {
    return v.scales == HeadScales::PerCoordinate ? k * v.dim + d : k;
  }
};

// One block of kWidth rows starting at b0: forward into the block's record. Returns the lanes'
// lse, past-the-end lanes zeroed, for the caller's sum.
template <class T>
Batch<T> head_forward_lanes(const T* out, const T* y, T* rec, const HeadView& v,
                            const LaneLayout& at, std::int64_t b0) {
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t kk = v.components;
  const auto lane = [&](std::int64_t i) { return Batch<T>::load_unaligned(rec + i * w); };
  const auto put = [&](std::int64_t i, const Batch<T>& x) { x.store_unaligned(rec + i * w); };
  // The rows' outputs as they come: logits, means, then u where the scales go.
  transpose_rows_in(out, v.width(), b0, v.batch, rec);
  transpose_rows_in(y, v.dim, b0, v.batch, rec + at.y * w);
  const Batch<T> one(T(1)), zero(T(0)), min_scale(static_cast<T>(v.min_scale));
  for (std::int64_t i = 0; i < v.scale_count(); ++i) {
    // softplus(u) = max(u, 0) + log1p(e), sigmoid(u) = (u >= 0 ? 1 : e) / (1 + e), e = exp(-|u|)
    const Batch<T> u = lane(at.scales + i), e = xsimd::exp(-xsimd::abs(u));
    put(at.slopes + i, xsimd::select(u >= zero, one, e) / (one + e));
    put(at.scales + i, xsimd::max(u, zero) + xsimd::log1p(e) + min_scale);
  }
  const Batch<T> normalizer(static_cast<T>(gaussian_log_normalizer(v.dim)));
  const Batch<T> fixed(static_cast<T>(v.fixed_scale)),
      log_fixed(std::log(static_cast<T>(v.fixed_scale)));
  const Batch<T> lse_a = lanes_logsumexp(rec + at.logits * w, kk);
  for (std::int64_t k = 0; k < kk; ++k) {
    Batch<T> energy(T(0));
    for (std::int64_t d = 0; d < v.dim; ++d) {
      const bool learned = v.scales != HeadScales::Fixed;
      const Batch<T> s = learned ? lane(at.scales + LaneLayout::scale(v, k, d)) : fixed;
      const Batch<T> z = (lane(at.y + d) - lane(at.means + k * v.dim + d)) / s;
      energy += gaussian_energy(z, learned ? xsimd::log(s) : log_fixed);
    }
    put(at.joint + k, (lane(at.logits + k) - lse_a) - energy - normalizer);
  }
  const Batch<T> lse = lanes_logsumexp(rec + at.joint * w, kk);
  put(at.logits_lse, lse_a);
  put(at.lse, lse);
  alignas(64) T lanes[w];
  lse.store_aligned(lanes);
  std::fill(lanes + std::min(w, v.batch - b0), lanes + w, T(0));
  return Batch<T>::load_aligned(lanes);
}

// One block of kWidth rows starting at b0: backward from the block's record. `work` holds
// width + D batches.
template <class T>
void head_backward_lanes(const T* rec, T weight, T* d_out, T* d_y, const HeadView& v,
                         const LaneLayout& at, std::int64_t b0, T* work) {
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t kk = v.components;
  const auto lane = [&](std::int64_t i) { return Batch<T>::load_unaligned(rec + i * w); };
  const auto put = [&](std::int64_t i, const Batch<T>& x) { x.store_aligned(work + i * w); };
  const Batch<T> lse_a = lane(at.logits_lse), lse = lane(at.lse), wb(weight), one(T(1));
  const Batch<T> inv_fixed(T(1) / static_cast<T>(v.fixed_scale));
  Batch<T> total(T(0));
  for (std::int64_t k = 0; k < kk; ++k)
    total += wb * xsimd::exp(lane(at.joint + k) - lse);
  T* dy = work + v.width() * w; // d_y accumulates after the row's gradient
  std::fill_n(dy, v.dim * w, T(0));
  for (std::int64_t k = 0; k < kk; ++k) {
    const Batch<T> g = wb * xsimd::exp(lane(at.joint + k) - lse);
    put(k, g - xsimd::exp(lane(at.logits + k) - lse_a) * total);
    Batch<T> shared(T(0));
    for (std::int64_t d = 0; d < v.dim; ++d) {
      const std::int64_t si = LaneLayout::scale(v, k, d);
      const Batch<T> inv = v.scales == HeadScales::Fixed ? inv_fixed : one / lane(at.scales + si);
      const Batch<T> z = (lane(at.y + d) - lane(at.means + k * v.dim + d)) * inv;
      const Batch<T> gk = g * inv, dmu = gk * z, ds = gk * (z * z - one);
      put(v.mean_column(k, d), dmu);
      (Batch<T>::load_aligned(dy + d * w) - dmu).store_aligned(dy + d * w);
      if (v.scales == HeadScales::PerCoordinate)
        put(v.scale_column(k, d), ds * lane(at.slopes + si));
      else
        shared += ds;
    }
    if (v.scales == HeadScales::PerComponent)
      put(v.scale_column(k, 0), shared * lane(at.slopes + k));
  }
  transpose_rows_out(work, v.width(), b0, v.batch, d_out);
  if (d_y)
    transpose_rows_out(dy, v.dim, b0, v.batch, d_y);
}

// Rows per parallel block: whole SIMD widths, about 2048 values of the outputs.
template <class T> std::int64_t head_rows_per_block(const HeadView& v) {
  const std::int64_t lanes = std::max<std::int64_t>(1, 2048 / (v.width() * kWidth<T>));
  return lanes * kWidth<T>;
}

} // namespace detail

// Returns the sum over rows of lse, summed block by block in order (the same bits on any number
// of threads).
template <class T> T head_nll_forward(const T* out, const T* y, T* saved, HeadView v) {
  using namespace detail;
  constexpr std::int64_t w = kWidth<T>;
  const LaneLayout at(v);
  const std::int64_t per_block = head_rows_per_block<T>(v);
  const std::int64_t blocks = tapegrad::kernels::ceil_div(v.batch, per_block);
  AlignedVector<T> sums(static_cast<std::size_t>(blocks * w));
  tapegrad::kernels::parallel_blocks(blocks, v.batch * v.width() * 16, [&](std::int64_t block) {
    Batch<T> sum(T(0));
    for (std::int64_t b0 = block * per_block; b0 < std::min(v.batch, (block + 1) * per_block);
         b0 += w)
      sum += head_forward_lanes(out, y, saved + b0 * at.per_block, v, at, b0);
    sum.store_aligned(sums.data() + block * w);
  });
  Batch<T> total(T(0));
  for (std::int64_t block = 0; block < blocks; ++block)
    total += Batch<T>::load_aligned(sums.data() + block * w);
  return xsimd::hadd(total);
}

// d_out [B, width] overwritten; d_y [B, D] overwritten when not null. weight = dL/dlse.
template <class T> void head_nll_backward(const T* saved, T weight, T* d_out, T* d_y, HeadView v) {
  using namespace detail;
  constexpr std::int64_t w = kWidth<T>;
  const LaneLayout at(v);
  const std::int64_t per_block = head_rows_per_block<T>(v);
  const std::int64_t blocks = tapegrad::kernels::ceil_div(v.batch, per_block);
  tapegrad::kernels::parallel_blocks(blocks, v.batch * v.width() * 8, [&](std::int64_t block) {
    AlignedVector<T> work(static_cast<std::size_t>((v.width() + v.dim) * w));
    for (std::int64_t b0 = block * per_block; b0 < std::min(v.batch, (block + 1) * per_block);
         b0 += w)
      head_backward_lanes(saved + b0 * at.per_block, weight, d_out, d_y, v, at, b0, work.data());
  });
}

} // namespace tapegrad::mdn::kernels

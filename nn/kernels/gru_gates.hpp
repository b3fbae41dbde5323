#pragma once
// The GRU's gate arithmetic for one time step, after its two matrix products: the loop behind
// nn::gru_cell. With a = x W_ih^T + b_ih and b = h W_hh^T + b_hh, each [batch, 3H] in the gate
// order r, z, n of torch.nn.GRU:
//
//   r  = sigmoid(a_r + b_r)                  reset gate: how much of the past enters n
//   z  = sigmoid(a_z + b_z)                  update gate: how much of h is kept
//   n  = tanh(a_n + r * b_n)                 the candidate state
//   h' = (1 - z) * n + z * h                 (computed as n + z * (h - n))
//
// and where a row's mask is 0 (padding), h' = h: the state passes through unchanged.
//
// Backward, given g = dL/dh' of a row that is not masked:
//
//   dL/dn = g (1 - z)        dL/dz = g (h - n)        dL/dh (direct) = g z
//   dL/da_n = dL/dn (1 - n^2)                         dL/db_n = dL/da_n r
//   dL/da_r = dL/db_r = dL/da_n b_n r (1 - r)         dL/da_z = dL/db_z = dL/dz z (1 - z)
//
// and for a masked row dL/da = dL/db = 0, dL/dh = g. The cache holds r, z, n and b_n per row
// ([batch, 4H]), all that backward needs besides h. Rows are independent, so the result does not
// depend on how they are split among threads. They know nothing of tensors or tapes.
#include "nn/kernels/gate_math.hpp"

#include <algorithm>
#include <cstdint>

namespace tapegrad::nn::kernels {

struct GruView {
  std::int64_t batch, hidden;
};

// One row: a, b [3H], h [H] -> h_out [H], cache [4H].
template <class T>
void gru_row_forward(const T* a, const T* b, const T* h, T* h_out, T* cache, std::int64_t hidden) {
  const std::int64_t n_h = hidden;
  T *r_out = cache, *z_out = cache + n_h, *n_out = cache + 2 * n_h, *bn_out = cache + 3 * n_h;
  std::int64_t j = 0;
  for (; j + kWidth<T> <= n_h; j += kWidth<T>) {
    const Batch<T> r = sigmoid(load(a + j) + load(b + j));
    const Batch<T> z = sigmoid(load(a + n_h + j) + load(b + n_h + j));
    const Batch<T> bn = load(b + 2 * n_h + j);
    const Batch<T> n = tanh_of(load(a + 2 * n_h + j) + r * bn);
    store(h_out + j, n + z * (load(h + j) - n));
    store(r_out + j, r);
    store(z_out + j, z);
    store(n_out + j, n);
    store(bn_out + j, bn);
  }
  for (; j < n_h; ++j) {
    const T r = sigmoid(a[j] + b[j]), z = sigmoid(a[n_h + j] + b[n_h + j]), bn = b[2 * n_h + j];
    const T n = tanh_of(a[2 * n_h + j] + r * bn);
    h_out[j] = n + z * (h[j] - n);
    r_out[j] = r;
    z_out[j] = z;
    n_out[j] = n;
    bn_out[j] = bn;
  }
}

// One row's backward: cache [4H], h [H], g [H] -> ga, gb [3H], gh [H] (overwritten).
template <class T>
void gru_row_backward(const T* cache, const T* h, const T* g, T* ga, T* gb, T* gh,
                      std::int64_t hidden) {
  const std::int64_t n_h = hidden;
  const T *r_in = cache, *z_in = cache + n_h, *n_in = cache + 2 * n_h, *bn_in = cache + 3 * n_h;
  std::int64_t j = 0;
  const Batch<T> one(T(1));
  for (; j + kWidth<T> <= n_h; j += kWidth<T>) {
    const Batch<T> r = load(r_in + j), z = load(z_in + j), n = load(n_in + j);
    const Batch<T> gj = load(g + j);
    const Batch<T> dan = gj * (one - z) * (one - n * n);
    const Batch<T> dar = dan * load(bn_in + j) * r * (one - r);
    const Batch<T> daz = gj * (load(h + j) - n) * z * (one - z);
    store(ga + j, dar);
    store(ga + n_h + j, daz);
    store(ga + 2 * n_h + j, dan);
    store(gb + j, dar);
    store(gb + n_h + j, daz);
    store(gb + 2 * n_h + j, dan * r);
    store(gh + j, gj * z);
  }
  for (; j < n_h; ++j) {
    const T r = r_in[j], z = z_in[j], n = n_in[j];
    const T dan = g[j] * (T(1) - z) * (T(1) - n * n);
    const T dar = dan * bn_in[j] * r * (T(1) - r);
    const T daz = g[j] * (h[j] - n) * z * (T(1) - z);
    ga[j] = dar;
    ga[n_h + j] = daz;
    ga[2 * n_h + j] = dan;
    gb[j] = dar;
    gb[n_h + j] = daz;
    gb[2 * n_h + j] = dan * r;
    gh[j] = g[j] * z;
  }
}

// The whole batch; mask [batch] of 0/1, or null for no padding.
template <class T>
void gru_gates_forward(const T* a, const T* b, const T* h, const T* mask, T* h_out, T* cache,
                       GruView v) {
  const std::int64_t n_h = v.hidden;
  for_each_row_block(v.batch, 12 * n_h, [&](std::int64_t row) {
    if (mask != nullptr && mask[row] == T(0)) { // padding: the state passes through
      std::copy_n(h + row * n_h, n_h, h_out + row * n_h);
      std::fill_n(cache + row * 4 * n_h, 4 * n_h, T(0));
      return;
    }
    gru_row_forward(a + row * 3 * n_h, b + row * 3 * n_h, h + row * n_h, h_out + row * n_h,
                    cache + row * 4 * n_h, n_h);
  });
}

template <class T>
void gru_gates_backward(const T* cache, const T* h, const T* mask, const T* g, T* ga, T* gb, T* gh,
                        GruView v) {
  const std::int64_t n_h = v.hidden;
  for_each_row_block(v.batch, 12 * n_h, [&](std::int64_t row) {
    if (mask != nullptr && mask[row] == T(0)) {
      std::fill_n(ga + row * 3 * n_h, 3 * n_h, T(0));
      std::fill_n(gb + row * 3 * n_h, 3 * n_h, T(0));
      std::copy_n(g + row * n_h, n_h, gh + row * n_h);
      return;
    }
    gru_row_backward(cache + row * 4 * n_h, h + row * n_h, g + row * n_h, ga + row * 3 * n_h,
                     gb + row * 3 * n_h, gh + row * n_h, n_h);
  });
}

} // namespace tapegrad::nn::kernels

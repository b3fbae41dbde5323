#pragma once
// The LSTM's gate arithmetic for one time step, after its matrix products: the loop behind
// nn::lstm_cell. With the pre-activations p = x W_ih^T + b_ih + h W_hh^T + b_hh, [batch, 4H] in the
// gate order i, f, g, o of torch.nn.LSTM, and the state s = [h | c] ([batch, 2H]):
//
//   i  = sigmoid(p_i)           input gate: how much of the candidate enters the cell
//   f  = sigmoid(p_f)           forget gate: how much of the cell is kept
//   g  = tanh(p_g)              the candidate
//   o  = sigmoid(p_o)           output gate: how much of the cell is shown
//   c' = f * c + i * g          h' = o * tanh(c')
//
// and where a row's mask is 0 (padding), [h' | c'] = [h | c]: the state passes through.
//
// Backward, given dL/dh' and dL/dc' of a row that is not masked (the cell also reaches the loss
// through h' = o tanh(c')):
//
//   dc = dL/dc' + dL/dh' o (1 - tanh(c')^2)
//   dL/dp_i = dc g i (1 - i)       dL/dp_f = dc c f (1 - f)
//   dL/dp_g = dc i (1 - g^2)       dL/dp_o = dL/dh' tanh(c') o (1 - o)
//   dL/dc (direct) = dc f          dL/dh (direct) = 0 (h enters only through the product)
//
// and for a masked row dL/dp = 0, dL/d[h | c] = dL/d[h' | c']. The cache holds i, f, g, o and
// tanh(c') per row ([batch, 5H]). Rows are independent, so the result does not depend on how they
// are split among threads. They know nothing of tensors or tapes.
#include "nn/kernels/gate_math.hpp"

#include <algorithm>
#include <cstdint>

namespace tapegrad::nn::kernels {

struct LstmView {
  std::int64_t batch, hidden;
};

// One row: p [4H], state [2H] -> state_out [2H], cache [5H].
template <class T>
void lstm_row_forward(const T* p, const T* state, T* state_out, T* cache, std::int64_t hidden) {
  const std::int64_t n_h = hidden;
  const T* c = state + n_h;
  T *h_out = state_out, *c_out = state_out + n_h;
  std::int64_t j = 0;
  for (; j + kWidth<T> <= n_h; j += kWidth<T>) {
    const Batch<T> i = sigmoid(load(p + j)), f = sigmoid(load(p + n_h + j));
    const Batch<T> g = tanh_of(load(p + 2 * n_h + j)), o = sigmoid(load(p + 3 * n_h + j));
    const Batch<T> c_new = f * load(c + j) + i * g;
    const Batch<T> tc = tanh_of(c_new);
    store(h_out + j, o * tc);
    store(c_out + j, c_new);
    store(cache + j, i);
    store(cache + n_h + j, f);
    store(cache + 2 * n_h + j, g);
    store(cache + 3 * n_h + j, o);
    store(cache + 4 * n_h + j, tc);
  }
  for (; j < n_h; ++j) {
    const T i = sigmoid(p[j]), f = sigmoid(p[n_h + j]);
    const T g = tanh_of(p[2 * n_h + j]), o = sigmoid(p[3 * n_h + j]);
    const T c_new = f * c[j] + i * g;
    const T tc = tanh_of(c_new);
    h_out[j] = o * tc;
    c_out[j] = c_new;
    cache[j] = i;
    cache[n_h + j] = f;
    cache[2 * n_h + j] = g;
    cache[3 * n_h + j] = o;
    cache[4 * n_h + j] = tc;
  }
}

// One row's backward: cache [5H], state [2H], g_out [2H] -> gp [4H], g_state [2H] (overwritten).
template <class T>
void lstm_row_backward(const T* cache, const T* state, const T* g_out, T* gp, T* g_state,
                       std::int64_t hidden) {
  const std::int64_t n_h = hidden;
  const T* c = state + n_h;
  const T *gh_new = g_out, *gc_new = g_out + n_h;
  std::int64_t j = 0;
  const Batch<T> one(T(1));
  for (; j + kWidth<T> <= n_h; j += kWidth<T>) {
    const Batch<T> i = load(cache + j), f = load(cache + n_h + j), g = load(cache + 2 * n_h + j);
    const Batch<T> o = load(cache + 3 * n_h + j), tc = load(cache + 4 * n_h + j);
    const Batch<T> dh = load(gh_new + j);
    const Batch<T> dc = load(gc_new + j) + dh * o * (one - tc * tc);
    store(gp + j, dc * g * i * (one - i));
    store(gp + n_h + j, dc * load(c + j) * f * (one - f));
    store(gp + 2 * n_h + j, dc * i * (one - g * g));
    store(gp + 3 * n_h + j, dh * tc * o * (one - o));
    store(g_state + j, Batch<T>(T(0)));
    store(g_state + n_h + j, dc * f);
  }
  for (; j < n_h; ++j) {
    const T i = cache[j], f = cache[n_h + j], g = cache[2 * n_h + j];
    const T o = cache[3 * n_h + j], tc = cache[4 * n_h + j];
    const T dh = gh_new[j];
    const T dc = gc_new[j] + dh * o * (T(1) - tc * tc);
    gp[j] = dc * g * i * (T(1) - i);
    gp[n_h + j] = dc * c[j] * f * (T(1) - f);
    gp[2 * n_h + j] = dc * i * (T(1) - g * g);
    gp[3 * n_h + j] = dh * tc * o * (T(1) - o);
    g_state[j] = T(0);
    g_state[n_h + j] = dc * f;
  }
}

// The whole batch; mask [batch] of 0/1, or null for no padding.
template <class T>
void lstm_gates_forward(const T* p, const T* state, const T* mask, T* state_out, T* cache,
                        LstmView v) {
  const std::int64_t n_h = v.hidden;
  for_each_row_block(v.batch, 16 * n_h, [&](std::int64_t row) {
    if (mask != nullptr && mask[row] == T(0)) { // padding: the state passes through
      std::copy_n(state + row * 2 * n_h, 2 * n_h, state_out + row * 2 * n_h);
      std::fill_n(cache + row * 5 * n_h, 5 * n_h, T(0));
      return;
    }
    lstm_row_forward(p + row * 4 * n_h, state + row * 2 * n_h, state_out + row * 2 * n_h,
                     cache + row * 5 * n_h, n_h);
  });
}

template <class T>
void lstm_gates_backward(const T* cache, const T* state, const T* mask, const T* g_out, T* gp,
                         T* g_state, LstmView v) {
  const std::int64_t n_h = v.hidden;
  for_each_row_block(v.batch, 16 * n_h, [&](std::int64_t row) {
    if (mask != nullptr && mask[row] == T(0)) {
      std::fill_n(gp + row * 4 * n_h, 4 * n_h, T(0));
      std::copy_n(g_out + row * 2 * n_h, 2 * n_h, g_state + row * 2 * n_h);
      return;
    }
    lstm_row_backward(cache + row * 5 * n_h, state + row * 2 * n_h, g_out + row * 2 * n_h,
                      gp + row * 4 * n_h, g_state + row * 2 * n_h, n_h);
  });
}

} // namespace tapegrad::nn::kernels

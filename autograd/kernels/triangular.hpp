#pragma once
// Triangular solves for a batch of lower-triangular D x D matrices L, each against a D x N
// right-hand side, by substitution. Plain loops: D is small (the output dimension of a mixture).
#include <cstdint>

namespace tapegrad::kernels {

// X = L^-1 B by forward substitution: x_i = (b_i - sum_{j<i} L_ij x_j) / L_ii
template <class T>
void solve_lower(const T* l, const T* b, T* x, std::int64_t batch, std::int64_t d, std::int64_t n) {
  for (std::int64_t s = 0; s < batch; ++s) {
    const T* L = l + s * d * d;
    const T* B = b + s * d * n;
    T* X = x + s * d * n;
    for (std::int64_t c = 0; c < n; ++c)
      for (std::int64_t i = 0; i < d; ++i) {
        T acc = B[i * n + c];
        for (std::int64_t j = 0; j < i; ++j)
          acc -= L[i * d + j] * X[j * n + c];
        X[i * n + c] = acc / L[i * d + i];
      }
  }
}

// G = L^-T H by back substitution: g_i = (h_i - sum_{j>i} L_ji g_j) / L_ii
template <class T>
void solve_lower_transposed(const T* l, const T* h, T* g, std::int64_t batch, std::int64_t d,
                            std::int64_t n) {
  for (std::int64_t s = 0; s < batch; ++s) {
    const T* L = l + s * d * d;
    const T* H = h + s * d * n;
    T* G = g + s * d * n;
    for (std::int64_t c = 0; c < n; ++c)
      for (std::int64_t i = d - 1; i >= 0; --i) {
        T acc = H[i * n + c];
        for (std::int64_t j = i + 1; j < d; ++j)
          acc -= L[j * d + i] * G[j * n + c];
        G[i * n + c] = acc / L[i * d + i];
      }
  }
}

} // namespace tapegrad::kernels

#pragma once
// C = alpha * op(A) op(B) + beta * C on row-major buffers, op(X) = X or X^T, without materialising
// a transpose: the three products of a linear layer (X W^T, dY W, dY^T X) are all this call.
// A is M x K (K x M when transposed), B is K x N (N x K when transposed), C is M x N.
#include <cstdint>

namespace tapegrad::kernels {

struct GemmArgs {
  bool transpose_a = false, transpose_b = false;
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t lda = 0, ldb = 0, ldc = 0; // row strides of the stored (untransposed) buffers
};

// The plain triple loop: the reference every faster GEMM is tested against.
template <class T>
void gemm_reference(const GemmArgs& g, T alpha, const T* a, const T* b, T beta, T* c) {
  for (std::int64_t i = 0; i < g.m; ++i)
    for (std::int64_t j = 0; j < g.n; ++j) {
      T acc = 0;
      for (std::int64_t p = 0; p < g.k; ++p) {
        const T aip = g.transpose_a ? a[p * g.lda + i] : a[i * g.lda + p];
        const T bpj = g.transpose_b ? b[j * g.ldb + p] : b[p * g.ldb + j];
        acc += aip * bpj;
      }
      T& out = c[i * g.ldc + j];
      out = alpha * acc + (beta == T(0) ? T(0) : beta * out); // beta = 0 ignores NaN in C
    }
}

// Which implementation runs: Automatic picks by shape (plain loops for n = 1, Small when
// op(B) fits in L2, Packed otherwise); the others force one, for the tests and benchmarks.
enum class GemmPath { Automatic, Packed, Small };

// The fast GEMM (gemm.cpp), defined for float and double. Packed: A and B packed into panels, a
// register-blocked micro-kernel over SIMD batches, cache blocking, and OpenMP over bands of C.
// Small: the same register tile reading A in place (no packing of A; B copied only when it is
// transposed or ragged), OpenMP over row tiles of C. Bitwise the same result for any number of
// threads; the path depends on the shape only.
template <class T>
void gemm(const GemmArgs& g, T alpha, const T* a, const T* b, T beta, T* c,
          GemmPath path = GemmPath::Automatic);

extern template void gemm<float>(const GemmArgs&, float, const float*, const float*, float, float*,
                                 GemmPath);
extern template void gemm<double>(const GemmArgs&, double, const double*, const double*, double,
                                  double*, GemmPath);

// The micro-kernel's tile and the instruction set it was compiled for, for the benchmarks.
struct GemmInfo {
  const char* arch;
  int mr, nr, kc;
};
template <class T> GemmInfo gemm_info();

} // namespace tapegrad::kernels

// The packed GEMM, in the structure of BLIS (Van Zee and van de Geijn, 2015):
//
//   for jc in blocks of NC columns of C        B block (KC x NC) packed, lives in L3
//     for pc in blocks of KC of the k axis
//       pack B[pc, jc] into NR-wide micro-panels
//       for ic in blocks of MC rows of C      A block (MC x KC) packed, lives in L2
//         pack A[ic, pc] into MR-tall micro-panels
//         for jr, ir: micro-kernel            B micro-panel (KC x NR) lives in L1
//
// The micro-kernel keeps an MR x NR tile of C in registers (MR rows of NV SIMD batches) and, per
// step of k, loads NV batches of B and broadcasts MR values of A into MR * NV fused multiply-adds.
// Packing reads op(A) and op(B) through the transpose flags, so no transpose is materialised, and
// pads edge panels with zeros, so the micro-kernel always computes a full tile: every element of C
// is the same sequence of operations wherever its tile falls. Threads each take a band of C's
// rows (or columns) and run the whole loop nest on it with their own packing buffers; since the
// k blocking is fixed, the result does not depend on the number of threads.
#include "autograd/kernels/gemm.hpp"

#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/scratch.hpp"
#include "autograd/kernels/simd.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad::kernels {

namespace {

// The small path (gemm_small) takes products whose op(B), padded to whole tiles, is at most this
// many bytes: it then stays in L2 while every row tile of C streams past it.
constexpr std::int64_t kSmallGemmBytes = std::int64_t{256} << 10;

// The packed path's register tile: mr rows of C by nv SIMD batches. On AVX-512 it is 6 x 64 floats
// (24 zmm accumulators), whose k step is 4 loads of B and 6 broadcasts of A for 24 fused
// multiply-adds: measured on Zen 4 it runs 3-6% faster than a 12 x 32 tile (2 loads and 12
// broadcasts), and the B micro-panel's width divides the layers' widths. kc = 384 halves the
// number of passes over C against 256 (each pass loads and stores the C tile); mc = 384 keeps the
// A block (576 KiB) in a 1 MiB L2.
template <class T> struct Blocking {
  static constexpr bool wide = sizeof(Batch<T>) >= 64; // AVX-512: 32 vector registers
  static constexpr std::int64_t nv = wide ? 4 : 2;     // SIMD batches per row of the tile
  static constexpr std::int64_t nr = nv * kWidth<T>;   // columns of the tile
  static constexpr std::int64_t mr = 6;                // rows of the tile: mr * nv accumulators
  static constexpr std::int64_t kc = 384;              // k block
  static constexpr std::int64_t mc = 64 * mr;          // A block mc x kc stays in L2
  static constexpr std::int64_t nc = 4096 / nr * nr;   // B block kc x nc stays in L3
  // Packing walks this many micro-panels at a time across a source row, so that it reads rows
  // in runs of a few hundred bytes (not one page per few elements) while writing few streams.
  static constexpr std::int64_t panel_group = 16;
};

// The width of packed B micro-panel q of a block of nc columns: nr, except the last, which is its
// columns rounded up to whole SIMD batches (a head of 288 outputs is 4 panels of 64 and one of 32,
// not 5 of 64).
template <class T> std::int64_t panel_width(std::int64_t nc, std::int64_t j) {
  return std::min(Blocking<T>::nr, ceil_div(nc - j, kWidth<T>) * kWidth<T>);
}

// Rows [i0, i0 + mc) and k range [p0, p0 + kc) of op(A), as mr-tall micro-panels: panel q holds
// packed[q * mr * kc + p * mr + r] = op(A)(i0 + q * mr + r, p0 + p), zero past the last row.
template <class T>
void pack_a(const GemmArgs& g, const T* a, std::int64_t i0, std::int64_t mc, std::int64_t p0,
            std::int64_t kc, T* packed) {
  constexpr std::int64_t mr = Blocking<T>::mr, group = Blocking<T>::panel_group;
  const std::int64_t panels = ceil_div(mc, mr);
  if (g.transpose_a) { // op(A)(i, p) = a[p * lda + i]: row p of a holds op(A)'s column p
    for (std::int64_t q0 = 0; q0 < panels; q0 += group) {
      const std::int64_t q1 = std::min(panels, q0 + group);
      for (std::int64_t p = 0; p < kc; ++p) {
        const T* src = a + (p0 + p) * g.lda + i0;
        for (std::int64_t q = q0; q < q1; ++q) {
          const std::int64_t rows = std::min(mr, mc - q * mr);
          T* dst = packed + q * mr * kc + p * mr;
          for (std::int64_t r = 0; r < rows; ++r)
            dst[r] = src[q * mr + r];
          for (std::int64_t r = rows; r < mr; ++r)
            dst[r] = T(0);
        }
      }
    }
    return;
  }
  for (std::int64_t q = 0; q < panels; ++q) { // op(A)(i, p) = a[i * lda + p]: k is contiguous
    const std::int64_t rows = std::min(mr, mc - q * mr), i = i0 + q * mr;
    T* panel = packed + q * mr * kc;
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* src = a + (i + r) * g.lda + p0;
      for (std::int64_t p = 0; p < kc; ++p)
        panel[p * mr + r] = src[p];
    }
    for (std::int64_t r = rows; r < mr; ++r)
      for (std::int64_t p = 0; p < kc; ++p)
        panel[p * mr + r] = T(0);
  }
}

// Columns [j0, j0 + nc) and k range [p0, p0 + kc) of op(B), as micro-panels of panel_width
// columns: the panel starting at column j holds packed[j * kc + p * width + c] =
// op(B)(p0 + p, j0 + j + c), zero past the last column.
template <class T>
void pack_b(const GemmArgs& g, const T* b, std::int64_t j0, std::int64_t nc, std::int64_t p0,
            std::int64_t kc, T* packed) {
  constexpr std::int64_t nr = Blocking<T>::nr, w = kWidth<T>, group = Blocking<T>::panel_group;
  if (g.transpose_b) { // op(B)(p, j) = b[j * ldb + p]: k is contiguous
    for (std::int64_t j = 0; j < nc; j += nr) {
      const std::int64_t width = panel_width<T>(nc, j), cols = std::min(nr, nc - j);
      T* panel = packed + j * kc;
      for (std::int64_t c = 0; c < cols; ++c) {
        const T* src = b + (j0 + j + c) * g.ldb + p0;
        for (std::int64_t p = 0; p < kc; ++p)
          panel[p * width + c] = src[p];
      }
      for (std::int64_t c = cols; c < width; ++c)
        for (std::int64_t p = 0; p < kc; ++p)
          panel[p * width + c] = T(0);
    }
    return;
  }
  // op(B)(p, j) = b[p * ldb + j]: row p of b is a row of op(B), read in runs of `group` panels.
  for (std::int64_t jg = 0; jg < nc; jg += group * nr) {
    const std::int64_t jg_end = std::min(nc, jg + group * nr);
    for (std::int64_t p = 0; p < kc; ++p) {
      const T* src = b + (p0 + p) * g.ldb + j0;
      for (std::int64_t j = jg; j < jg_end; j += nr) {
        const std::int64_t width = panel_width<T>(nc, j), cols = std::min(nr, nc - j);
        T* dst = packed + j * kc + p * width;
        if (cols == width) {
          for (std::int64_t v = 0; v < width; v += w)
            store(dst + v, load(src + j + v));
        } else {
          for (std::int64_t c = 0; c < cols; ++c)
            dst[c] = src[j + c];
          for (std::int64_t c = cols; c < width; ++c)
            dst[c] = T(0);
        }
      }
    }
  }
}

// The rows x cols corner of a register tile that lies inside C, stored as the full tiles are
// (alpha acc, plus beta C unless beta = 0) with masked loads and stores on the ragged batch, so
// that a head of 15 outputs costs a masked store per row, not 15 scalar ones.
template <class T, std::int64_t MR, std::int64_t NV>
void store_tile_edge(const Batch<T> (&acc)[MR][NV], T alpha, T beta, T* c, std::int64_t ldc,
                     std::int64_t rows, std::int64_t cols) {
  constexpr std::int64_t w = kWidth<T>;
  const Batch<T> alpha_v(alpha), beta_v(beta);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t v = 0; v < NV; ++v) {
      const std::int64_t lanes = std::min(w, cols - v * w);
      if (lanes <= 0)
        break;
      T* out = c + r * ldc + v * w;
      if (lanes == w) {
        store(out, beta == T(0) ? alpha_v * acc[r][v]
                                : xsimd::fma(alpha_v, acc[r][v], beta_v * load(out)));
      } else {
        store_partial(out,
                      beta == T(0)
                          ? alpha_v * acc[r][v]
                          : xsimd::fma(alpha_v, acc[r][v], beta_v * load_partial(out, lanes)),
                      lanes);
      }
    }
}

// C tile (rows x cols of it are real) = alpha * A panel B panel + beta * C tile, with beta = 0
// meaning "overwrite" (a NaN in C is not propagated). NV batches per row: Blocking::nv, or fewer
// for a narrower last panel; each element of C is the same chain of operations either way.
template <class T, std::int64_t NV>
void micro_kernel(std::int64_t kc, const T* a, const T* b, T alpha, T beta, T* c, std::int64_t ldc,
                  std::int64_t rows, std::int64_t cols) {
  constexpr std::int64_t mr = Blocking<T>::mr, w = kWidth<T>, nr = NV * w;
  Batch<T> acc[mr][NV];
  for (std::int64_t r = 0; r < rows; ++r) // the C tile arrives while the k loop runs
#pragma GCC unroll 32
    for (std::int64_t v = 0; v < NV; ++v)
      __builtin_prefetch(c + r * ldc + v * w, 1);
#pragma GCC unroll 32
  for (std::int64_t r = 0; r < mr; ++r)
#pragma GCC unroll 32
    for (std::int64_t v = 0; v < NV; ++v)
      acc[r][v] = Batch<T>(T(0));
  for (std::int64_t p = 0; p < kc; ++p, a += mr, b += nr) {
    Batch<T> bv[NV];
#pragma GCC unroll 32
    for (std::int64_t v = 0; v < NV; ++v)
      bv[v] = Batch<T>::load_aligned(b + v * w);
#pragma GCC unroll 32
    for (std::int64_t r = 0; r < mr; ++r) {
      const Batch<T> ar(a[r]);
#pragma GCC unroll 32
      for (std::int64_t v = 0; v < NV; ++v)
        acc[r][v] = xsimd::fma(ar, bv[v], acc[r][v]);
    }
  }
  const Batch<T> alpha_v(alpha), beta_v(beta);
  if (rows == mr && cols == nr) {
#pragma GCC unroll 32
    for (std::int64_t r = 0; r < mr; ++r)
#pragma GCC unroll 32
      for (std::int64_t v = 0; v < NV; ++v) {
        T* out = c + r * ldc + v * w;
        store(out, beta == T(0) ? alpha_v * acc[r][v]
                                : xsimd::fma(alpha_v, acc[r][v], beta_v * load(out)));
      }
    return;
  }
  store_tile_edge<T, mr, NV>(acc, alpha, beta, c, ldc, rows, cols);
}

// The micro-kernel for a panel of `width` columns (a multiple of the SIMD width, at most nr).
template <class T>
void micro_kernel_for(std::int64_t width, std::int64_t kc, const T* a, const T* b, T alpha, T beta,
                      T* c, std::int64_t ldc, std::int64_t rows, std::int64_t cols) {
  constexpr std::int64_t nv = Blocking<T>::nv;
  switch (width / kWidth<T>) {
  case 1:
    return micro_kernel<T, 1>(kc, a, b, alpha, beta, c, ldc, rows, cols);
  case 2:
    return micro_kernel<T, std::min<std::int64_t>(2, nv)>(kc, a, b, alpha, beta, c, ldc, rows,
                                                          cols);
  case 3:
    return micro_kernel<T, std::min<std::int64_t>(3, nv)>(kc, a, b, alpha, beta, c, ldc, rows,
                                                          cols);
  default:
    return micro_kernel<T, nv>(kc, a, b, alpha, beta, c, ldc, rows, cols);
  }
}

// The loop nest over rows [i_begin, i_end) and columns [j_begin, j_end) of C, on one thread.
template <class T>
void gemm_band(const GemmArgs& g, T alpha, const T* a, const T* b, T beta, T* c,
               std::int64_t i_begin, std::int64_t i_end, std::int64_t j_begin, std::int64_t j_end) {
  using B = Blocking<T>;
  T* packed_a = scratch<T>(ScratchSlot::PackA, static_cast<std::size_t>(B::mc * B::kc));
  T* packed_b = scratch<T>(ScratchSlot::PackB, static_cast<std::size_t>(B::nc * B::kc));
  for (std::int64_t jc = j_begin; jc < j_end; jc += B::nc) {
    const std::int64_t nc = std::min(B::nc, j_end - jc);
    for (std::int64_t pc = 0; pc < g.k; pc += B::kc) {
      const std::int64_t kc = std::min(B::kc, g.k - pc);
      const T beta_here = pc == 0 ? beta : T(1); // later k blocks add to what the first wrote
      pack_b(g, b, jc, nc, pc, kc, packed_b);
      for (std::int64_t ic = i_begin; ic < i_end; ic += B::mc) {
        const std::int64_t mc = std::min(B::mc, i_end - ic);
        pack_a(g, a, ic, mc, pc, kc, packed_a);
        for (std::int64_t jr = 0; jr < nc; jr += B::nr) {
          const std::int64_t width = panel_width<T>(nc, jr), cols = std::min(B::nr, nc - jr);
          for (std::int64_t ir = 0; ir < mc; ir += B::mr)
            micro_kernel_for(width, kc, packed_a + ir * kc, packed_b + jr * kc, alpha, beta_here,
                             c + (ic + ir) * g.ldc + jc + jr, g.ldc, std::min(B::mr, mc - ir),
                             cols);
        }
      }
    }
  }
}

// A product with one column (n = 1: the weight gradient of a layer with one input) gains nothing
// from packing, and a full micro-tile would be mostly padding: plain loops, each element of C
// summed over p in order. (An inner dimension of one, k = 1, is faster on the small path.)
template <class T>
void gemm_degenerate(const GemmArgs& g, T alpha, const T* a, const T* b, T beta, T* c) {
  const auto b_at = [&](std::int64_t p, std::int64_t j) {
    return g.transpose_b ? b[j * g.ldb + p] : b[p * g.ldb + j];
  };
  const auto finish = [&](T& out, T acc) {
    out = alpha * acc + (beta == T(0) ? T(0) : beta * out);
  };
  // n == 1: c_i = sum_p op(A)(i, p) b_p, the p loop outside so that op(A)'s rows stream when A is
  // transposed.
  T* acc = scratch<T>(ScratchSlot::PackA, static_cast<std::size_t>(g.m));
  std::fill_n(acc, g.m, T(0));
  for (std::int64_t p = 0; p < g.k; ++p) {
    const T bp = b_at(p, 0);
    if (g.transpose_a) {
      const T* a_row = a + p * g.lda;
      for (std::int64_t i = 0; i < g.m; ++i)
        acc[i] += a_row[i] * bp;
    } else {
      for (std::int64_t i = 0; i < g.m; ++i)
        acc[i] += a[i * g.lda + p] * bp;
    }
  }
  for (std::int64_t i = 0; i < g.m; ++i)
    finish(c[i * g.ldc], acc[i]);
}

// The small-problem path: no packing of A. Each mr x nr tile of C reads op(A) straight from its
// source layout (one broadcast per row and step of k) and op(B) as rows of nr contiguous columns:
// B itself when it is untransposed and its width a multiple of the SIMD width, otherwise a
// zero-padded k x round_up(n, width) copy (B is the small operand of a layer's products: the
// weight, or X in the weight gradient). Rows past the last one of C read the last row of A again
// and are discarded, so every tile is the same full-width code. Each element of C is one fused
// multiply-add chain over p in order, whichever thread runs its tile.
// The small path's register tiles: nv batches wide (up to Blocking::nv) and kAccumulators / nv
// rows tall, so a tile of any width keeps the same number of independent accumulators: 6 x 64,
// 8 x 48, 12 x 32 and 24 x 16 floats on AVX-512 (24 accumulators), 6 x 16 and 12 x 8 on AVX2.
// Rows go in bands of kBand, a multiple of every tile's height, which are the parallel blocks.
template <class T> struct SmallBlocking {
  static constexpr bool wide = sizeof(Batch<T>) >= 64;
  static constexpr std::int64_t max_nv = Blocking<T>::nv;
  static constexpr std::int64_t accumulators = wide ? 24 : 12;
  static constexpr std::int64_t band = accumulators; // divisible by accumulators / nv, nv <= 4
  template <std::int64_t nv> static constexpr std::int64_t mr = accumulators / nv;
};

template <class T, bool TransposeA, std::int64_t nv>
void small_tile(const GemmArgs& g, T alpha, const T* a, const T* b, std::int64_t ldb, T beta, T* c,
                std::int64_t i, std::int64_t j) {
  constexpr std::int64_t mr = SmallBlocking<T>::template mr<nv>, w = kWidth<T>, nr = nv * w;
  const std::int64_t rows = std::min(mr, g.m - i), cols = std::min(nr, g.n - j);
  std::int64_t offset[mr]; // where row r of op(A) starts: a[offset[r] + p * step]
#pragma GCC unroll 32
  for (std::int64_t r = 0; r < mr; ++r) {
    const std::int64_t row = i + std::min(r, rows - 1);
    offset[r] = TransposeA ? row : row * g.lda;
  }
  const std::int64_t step = TransposeA ? g.lda : 1;
  Batch<T> acc[mr][nv];
#pragma GCC unroll 32
  for (std::int64_t r = 0; r < mr; ++r)
#pragma GCC unroll 32
    for (std::int64_t v = 0; v < nv; ++v)
      acc[r][v] = Batch<T>(T(0));
  const T* b_row = b + j;
  const T* a_p = a;
  for (std::int64_t p = 0; p < g.k; ++p, b_row += ldb, a_p += step) {
    Batch<T> bv[nv];
#pragma GCC unroll 32
    for (std::int64_t v = 0; v < nv; ++v)
      bv[v] = load(b_row + v * w);
#pragma GCC unroll 32
    for (std::int64_t r = 0; r < mr; ++r) {
      const Batch<T> ar(a_p[offset[r]]);
#pragma GCC unroll 32
      for (std::int64_t v = 0; v < nv; ++v)
        acc[r][v] = xsimd::fma(ar, bv[v], acc[r][v]);
    }
  }
  const Batch<T> alpha_v(alpha), beta_v(beta);
  T* c_tile = c + i * g.ldc + j;
  if (rows == mr && cols == nr) {
#pragma GCC unroll 32
    for (std::int64_t r = 0; r < mr; ++r)
#pragma GCC unroll 32
      for (std::int64_t v = 0; v < nv; ++v) {
        T* out = c_tile + r * g.ldc + v * w;
        store(out, beta == T(0) ? alpha_v * acc[r][v]
                                : xsimd::fma(alpha_v, acc[r][v], beta_v * load(out)));
      }
    return;
  }
  store_tile_edge<T, mr, nv>(acc, alpha, beta, c_tile, g.ldc, rows, cols);
}

// Whether the small path takes this product: op(B), padded to whole SIMD batches, fits in L2.
template <class T> bool small_path_fits(const GemmArgs& g) {
  const std::int64_t padded = ceil_div(g.n, kWidth<T>) * kWidth<T>;
  return g.k * padded * static_cast<std::int64_t>(sizeof(T)) <= kSmallGemmBytes;
}

template <class T>
void gemm_small(const GemmArgs& g, T alpha, const T* a, const T* b, T beta, T* c) {
  using B = SmallBlocking<T>;
  constexpr std::int64_t w = kWidth<T>;
  const std::int64_t padded = ceil_div(g.n, w) * w;
  const T* b_rows = b;
  std::int64_t ldb = g.ldb;
  if (g.transpose_b || g.n % w != 0) {
    T* copy = scratch<T>(ScratchSlot::PackB, static_cast<std::size_t>(g.k * padded));
    for (std::int64_t p = 0; p < g.k; ++p) {
      T* dst = copy + p * padded;
      if (g.transpose_b)
        for (std::int64_t j = 0; j < g.n; ++j)
          dst[j] = b[j * g.ldb + p];
      else
        std::copy_n(b + p * g.ldb, g.n, dst);
      std::fill(dst + g.n, dst + padded, T(0));
    }
    b_rows = copy;
    ldb = padded;
  }
  // Column tiles of max_nv batches, then one of the batches left (a head of 15 outputs is one
  // batch, not a mostly empty tile of four), each over the band's rows in tiles of its height.
  const std::int64_t bands = ceil_div(g.m, B::band),
                     full = padded / (B::max_nv * w) * B::max_nv * w;
  const auto tiles = [&]<std::int64_t nv>(std::int64_t i0, std::int64_t i1, std::int64_t j) {
    for (std::int64_t i = i0; i < i1; i += B::template mr<nv>) {
      if (g.transpose_a)
        small_tile<T, true, nv>(g, alpha, a, b_rows, ldb, beta, c, i, j);
      else
        small_tile<T, false, nv>(g, alpha, a, b_rows, ldb, beta, c, i, j);
    }
  };
  parallel_blocks(bands, g.m * g.n * g.k / 16, [&](std::int64_t t) {
    const std::int64_t i0 = t * B::band, i1 = std::min(g.m, i0 + B::band);
    for (std::int64_t j = 0; j < full; j += B::max_nv * w)
      tiles.template operator()<B::max_nv>(i0, i1, j);
    switch ((padded - full) / w) {
    case 0:
      break;
    case 1:
      tiles.template operator()<1>(i0, i1, full);
      break;
    case 2:
      tiles.template operator()<std::min<std::int64_t>(2, B::max_nv)>(i0, i1, full);
      break;
    default:
      tiles.template operator()<std::min<std::int64_t>(3, B::max_nv)>(i0, i1, full);
      break;
    }
  });
}

// C = beta * C when there is nothing to multiply (k = 0).
template <class T> void scale_c(const GemmArgs& g, T beta, T* c) {
  for (std::int64_t i = 0; i < g.m; ++i)
    for (std::int64_t j = 0; j < g.n; ++j)
      c[i * g.ldc + j] = beta == T(0) ? T(0) : beta * c[i * g.ldc + j];
}

} // namespace

template <class T>
void gemm(const GemmArgs& g, T alpha, const T* a, const T* b, T beta, T* c, GemmPath path) {
  using B = Blocking<T>;
  if (g.m <= 0 || g.n <= 0)
    return;
  if (g.k <= 0) {
    scale_c(g, beta, c);
    return;
  }
  if (path == GemmPath::Automatic) {
    if (g.n == 1) {
      gemm_degenerate(g, alpha, a, b, beta, c);
      return;
    }
    path = small_path_fits<T>(g) ? GemmPath::Small : GemmPath::Packed;
  }
  if (path == GemmPath::Small) {
    gemm_small(g, alpha, a, b, beta, c);
    return;
  }
  const std::int64_t work = g.m * g.n * g.k / 16; // in units comparable to a streaming element
  const int threads = omp_get_max_threads();
  if (work < min_parallel_work() || threads == 1 || omp_in_parallel()) {
    gemm_band(g, alpha, a, b, beta, c, 0, g.m, 0, g.n);
    return;
  }
  // Bands of whole tiles along the longer side of C, one per thread.
  const bool by_rows = g.m >= g.n;
  const std::int64_t unit = by_rows ? B::mr : B::nr, extent = by_rows ? g.m : g.n;
  const std::int64_t band = ceil_div(ceil_div(extent, threads), unit) * unit;
  const std::int64_t bands = ceil_div(extent, band);
#pragma omp parallel for schedule(static) num_threads(static_cast <int>(bands))
  for (std::int64_t t = 0; t < bands; ++t) {
    const std::int64_t begin = t * band, end = std::min(extent, begin + band);
    if (by_rows)
      gemm_band(g, alpha, a, b, beta, c, begin, end, 0, g.n);
    else
      gemm_band(g, alpha, a, b, beta, c, 0, g.m, begin, end);
  }
}

template void gemm<float>(const GemmArgs&, float, const float*, const float*, float, float*,
                          GemmPath);
template void gemm<double>(const GemmArgs&, double, const double*, const double*, double, double*,
                           GemmPath);

template <class T> GemmInfo gemm_info() {
  using B = Blocking<T>;
  return {simd_arch_name(), static_cast<int>(B::mr), static_cast<int>(B::nr),
          static_cast<int>(B::kc)};
}
template GemmInfo gemm_info<float>();
template GemmInfo gemm_info<double>();

} // namespace tapegrad::kernels

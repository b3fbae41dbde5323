#pragma once
// xsimd, for the kernels' implementation only (no public header includes this). The batch width
// is xsimd's default architecture for the compile flags: AVX-512 with -march=native on a machine
// that has it (the TAPEGRAD_NATIVE build option, on by default), AVX2, or SSE2 for a portable
// build.
// GCC 12 warns that the AVX-512 intrinsics' deliberately undefined registers (_mm512_undefined_*)
// may be used uninitialized once they are inlined into our loops; the state at the intrinsics'
// own lines is what counts, so this has to come before they are included.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <xsimd/xsimd.hpp>

#include <cstdint>

namespace tapegrad::kernels {

// xsimd 8.1's AVX-512BW kernels do not compile without optimisation (its integer select breaks
// in GCC's -O0 intrinsics), so unoptimised builds (debug, asan) stop at AVX-512DQ, which has the
// same 512-bit float batches.
#if XSIMD_WITH_AVX512BW && !defined(__OPTIMIZE__)
using SimdArch = xsimd::avx512dq;
#else
using SimdArch = xsimd::default_arch;
#endif

template <class T> using Batch = xsimd::batch<T, SimdArch>;
template <class T> inline constexpr std::int64_t kWidth = static_cast<std::int64_t>(Batch<T>::size);

// The instruction set the kernels were compiled for, e.g. "avx512bw", as the benchmarks print it.
inline const char* simd_arch_name() {
  return SimdArch::name();
}

template <class T> Batch<T> load(const T* p) {
  return Batch<T>::load_unaligned(p);
}
template <class T> void store(T* p, const Batch<T>& v) {
  v.store_unaligned(p);
}

// The first `count` lanes (0 <= count <= the width) of a batch from memory, the others zero, and
// into memory, the others left alone: the ragged right edge of a matrix without reading or
// writing past it. AVX-512 has masked loads and stores; elsewhere they go through a buffer.
template <class T> Batch<T> load_partial(const T* p, std::int64_t count) {
#if XSIMD_WITH_AVX512F
  if constexpr (sizeof(Batch<T>) == 64) {
    if constexpr (sizeof(T) == 4)
      return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1), p);
    else
      return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << count) - 1), p);
  }
#endif
  alignas(64) T lanes[kWidth<T>] = {};
  for (std::int64_t i = 0; i < count; ++i)
    lanes[i] = p[i];
  return Batch<T>::load_aligned(lanes);
}
template <class T> void store_partial(T* p, const Batch<T>& v, std::int64_t count) {
#if XSIMD_WITH_AVX512F
  if constexpr (sizeof(Batch<T>) == 64) {
    if constexpr (sizeof(T) == 4)
      _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1), v);
    else
      _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << count) - 1), v);
    return;
  }
#endif
  alignas(64) T lanes[kWidth<T>];
  v.store_aligned(lanes);
  for (std::int64_t i = 0; i < count; ++i)
    p[i] = lanes[i];
}

} // namespace tapegrad::kernels

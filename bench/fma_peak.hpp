// The machine's float multiply-add peak, measured: each thread runs independent chains of
// acc = acc * m + a on the widest SIMD batch the compiler targets (xsimd's default architecture,
// AVX-512 with TAPEGRAD_NATIVE on the build machines), enough chains to keep every FMA unit busy
// whatever its latency (16 zmm chains cover 2 units of latency 4 with room to spare). Every FMA
// counts 2 flops per lane. This is the ceiling against which the GEMM-bound MDN configurations are
// read in bench/RESULTS.md ("fraction of FMA peak"); fma_peak.cpp prints it for compare_mdn.py and
// kernels_bench.cpp runs it beside the GEMMs.
#pragma once

#include <xsimd/xsimd.hpp>

#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

namespace fma_peak {

using Batch = xsimd::batch<float>;

// 16 chains need 16 registers plus 2 for the constants: fine with AVX-512's 32, too many for
// AVX2's 16, where 12 chains (still more than the 8 that 2 units of latency 4 need) fit.
inline constexpr int kChains = Batch::size >= 16 ? 16 : 12;
inline constexpr int kLanes = static_cast<int>(Batch::size);
inline constexpr double kFlopsPerIteration = 2.0 * kChains * kLanes;

// One thread's chains, `iterations` times; the result keeps the work from being optimised away.
// m < 1 and a > 0 drive every lane to a / (1 - m) = 1: no overflow, no denormals.
[[gnu::noinline]] inline float run_chains(std::int64_t iterations, float start) {
  std::array<Batch, kChains> acc;
#pragma GCC unroll 16
  for (int c = 0; c < kChains; ++c)
    acc[static_cast<std::size_t>(c)] = Batch(start + 1e-3f * static_cast<float>(c));
  const Batch m(0.999999f), a(1e-6f);
  for (std::int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c)
      acc[static_cast<std::size_t>(c)] = xsimd::fma(acc[static_cast<std::size_t>(c)], m, a);
  }
  Batch sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum += acc[static_cast<std::size_t>(c)];
  return xsimd::hadd(sum);
}

// Seconds for `threads` threads to each run `iterations` iterations, from the start of the
// parallel region to the last thread's end.
inline double time_threads(int threads, std::int64_t iterations, float* sink) {
  const auto start = std::chrono::steady_clock::now();
  float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  total += run_chains(iterations, 0.5f + 0.01f * static_cast<float>(omp_get_thread_num()));
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  *sink += total;
  return elapsed.count();
}

// GFLOP/s on `threads` threads: the best of `repeats` runs of about `seconds` each (a shared
// machine only ever slows the loop down, so the fastest run is the closest to the peak).
inline double gflops(int threads, double seconds = 0.2, int repeats = 5) {
  float sink = 0;
  std::int64_t iterations = 1 << 16;
  // Grow the run until it takes a tenth of the target, then scale it to the target.
  for (double t = time_threads(threads, iterations, &sink); t < 0.1 * seconds;
       t = time_threads(threads, iterations, &sink))
    iterations *= 4;
  const double t0 = time_threads(threads, iterations, &sink);
  iterations = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(static_cast<double>(iterations) * seconds / t0));
  double best = 0;
  for (int r = 0; r < repeats; ++r)
    best = std::max(best, kFlopsPerIteration * static_cast<double>(iterations) * threads /
                              time_threads(threads, iterations, &sink) / 1e9);
  // sink is near kChains * kLanes * threads; a NaN or 0 would mean the loop did not run.
  return sink > 0 ? best : 0;
}

inline const char* arch_name() {
  return xsimd::default_arch::name();
}

} // namespace fma_peak

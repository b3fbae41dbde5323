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
#include <sys/resource.h>

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

inline double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Timing {
  double seconds;   // from the start of the parallel region to the last thread's end
  double cpu_share; // the process's CPU time over seconds x threads: below 1 when others ran
};

// `threads` threads each run `iterations` iterations.
inline Timing time_threads(int threads, std::int64_t iterations, float* sink) {
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  total += run_chains(iterations, 0.5f + 0.01f * static_cast<float>(omp_get_thread_num()));
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  *sink += total;
  return {elapsed.count(), (cpu_seconds() - cpu_start) / (elapsed.count() * threads)};
}

struct Peak {
  double gflops;    // the best of the runs
  double cpu_share; // that run's share of the CPU (Timing::cpu_share)
};

// GFLOP/s on `threads` threads, by the wall clock like the benchmarks' times: the best of
// `repeats` runs of about `seconds` each (a shared machine only ever slows the loop down, so the
// fastest run is the closest to the peak; its CPU share says whether even that one was shared).
inline Peak measure(int threads, double seconds = 0.2, int repeats = 5) {
  float sink = 0;
  std::int64_t iterations = 1 << 16;
  // Grow the run until it takes a tenth of the target, then scale it to the target.
  for (double t = time_threads(threads, iterations, &sink).seconds; t < 0.1 * seconds;
       t = time_threads(threads, iterations, &sink).seconds)
    iterations *= 4;
  const double t0 = time_threads(threads, iterations, &sink).seconds;
  iterations = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(static_cast<double>(iterations) * seconds / t0));
  Peak best{0, 0};
  for (int r = 0; r < repeats; ++r) {
    const Timing t = time_threads(threads, iterations, &sink);
    const double gflops =
        kFlopsPerIteration * static_cast<double>(iterations) * threads / t.seconds / 1e9;
    if (gflops > best.gflops)
      best = {gflops, std::min(1.0, t.cpu_share)};
  }
  // sink is near kChains * kLanes * threads; a NaN or 0 would mean the loop did not run.
  return sink > 0 ? best : Peak{0, 0};
}

inline const char* arch_name() {
  return xsimd::default_arch::name();
}

} // namespace fma_peak

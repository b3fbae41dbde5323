#pragma once
// OpenMP with a grain size and fixed blocks. A kernel hands over its work as `count` blocks whose
// boundaries depend only on the problem, never on the number of threads; each block is computed
// by exactly one thread, and partial results are combined by the caller in block order. So the
// result is bitwise the same whether one thread or many ran it. Work below kMinParallelWork
// stays on the calling thread: a 32x32 tensor must not pay for waking a thread pool.
#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace tapegrad::kernels {

// About 20 microseconds of streaming work: less than that does not repay a parallel region.
inline constexpr std::int64_t kMinParallelWork = std::int64_t{1} << 16;

// Calls body(block) for block in [0, count); in parallel when `work` (an estimate of the
// element-operations involved) reaches kMinParallelWork and we are not already in a parallel
// region.
template <class Body> void parallel_blocks(std::int64_t count, std::int64_t work, Body&& body) {
  if (count <= 1 || work < kMinParallelWork || omp_in_parallel() || omp_get_max_threads() == 1) {
    for (std::int64_t block = 0; block < count; ++block)
      body(block);
    return;
  }
#pragma omp parallel for schedule(static)
  for (std::int64_t block = 0; block < count; ++block)
    body(block);
}

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

// Elements per parallel block: a multiple of every SIMD width.
inline constexpr std::int64_t kBlock = std::int64_t{1} << 14;

// Calls row_range(r, begin, end) over pieces of the rows x cols grid: rows grouped so a block
// holds about kBlock elements, long rows cut at multiples of kBlock (so of the SIMD width).
template <class RowRange>
void for_each_row_piece(std::int64_t rows, std::int64_t cols, std::int64_t cost,
                        RowRange&& row_range) {
  if (cols >= kBlock) {
    const std::int64_t pieces = ceil_div(cols, kBlock);
    parallel_blocks(rows * pieces, rows * cols * cost, [&](std::int64_t block) {
      const std::int64_t r = block / pieces, begin = block % pieces * kBlock;
      row_range(r, begin, std::min(cols, begin + kBlock));
    });
    return;
  }
  const std::int64_t group = std::max<std::int64_t>(1, kBlock / std::max<std::int64_t>(cols, 1));
  parallel_blocks(ceil_div(rows, group), rows * cols * cost, [&](std::int64_t block) {
    for (std::int64_t r = block * group; r < std::min(rows, (block + 1) * group); ++r)
      row_range(r, 0, cols);
  });
}

} // namespace tapegrad::kernels

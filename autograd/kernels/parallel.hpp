#pragma once
// OpenMP with a grain size and fixed blocks. A kernel hands over its work as `count` blocks whose
// boundaries depend only on the problem, never on the number of threads; each block is computed
// by exactly one thread, and partial results are combined by the caller in block order. So the
// result is bitwise the same whether one thread or many ran it. Work below min_parallel_work()
// stays on the calling thread: a 32x32 tensor must not pay for waking a thread pool.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <omp.h>

namespace tapegrad::kernels {

// About 20 microseconds of streaming work: less than that does not repay a parallel region whose
// threads are spinning (OMP_WAIT_POLICY=ACTIVE, or the default's spin before it sleeps), where a
// region costs about half a microsecond.
inline constexpr std::int64_t kMinParallelWork = std::int64_t{1} << 16;

// With OMP_WAIT_POLICY=PASSIVE idle threads sleep in the kernel at once, and waking them is far
// dearer: 44 to 92 us per region after some serial work on the 2-core VMs (bench/omp_region_cost).
// There four times the work is the threshold that measured best: the classic MDN's step on 2
// threads went from 0.78 to 0.28 ms (1 thread: 0.32), the wide one's from 5.1 to 4.5-4.9 ms;
// eight and sixteen times were no better.
constexpr std::int64_t min_parallel_work_for(bool passive_threads) {
  return passive_threads ? 4 * kMinParallelWork : kMinParallelWork;
}

// Whether OMP_WAIT_POLICY says PASSIVE, in any case and between spaces, as libgomp reads it.
inline bool passive_wait_policy() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  if (policy == nullptr)
    return false;
  std::string_view value(policy);
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!value.empty() && space(value.front()))
    value.remove_prefix(1);
  while (!value.empty() && space(value.back()))
    value.remove_suffix(1);
  constexpr std::string_view passive = "passive";
  return value.size() == passive.size() &&
         std::equal(value.begin(), value.end(), passive.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// The least work (in element-operations) worth a parallel region in this process: the policy is
// read once, as the OpenMP runtime reads it once.
inline std::int64_t min_parallel_work() {
  static const std::int64_t work = min_parallel_work_for(passive_wait_policy());
  return work;
}

// Calls body(block) for block in [0, count); in parallel when `work` (an estimate of the
// element-operations involved) reaches min_parallel_work() and we are not already in a parallel
// region.
template <class Body> void parallel_blocks(std::int64_t count, std::int64_t work, Body&& body) {
  if (count <= 1 || work < min_parallel_work() || omp_in_parallel() || omp_get_max_threads() == 1) {
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

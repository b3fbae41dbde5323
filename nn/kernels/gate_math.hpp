#pragma once
// What the recurrent cells' gate loops share: sigmoid and tanh for a scalar and for a SIMD batch,
// and the split of a batch's rows among threads. The rows of a cell are independent, so any split
// gives the same bits; fixed blocks keep the parallel region off below min_parallel_work().
#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/simd.hpp"

#include <cmath>
#include <concepts>
#include <cstdint>

namespace tapegrad::nn::kernels {

using tapegrad::kernels::Batch;
using tapegrad::kernels::kWidth;
using tapegrad::kernels::load;
using tapegrad::kernels::store;

// sigmoid(x) = 1 / (1 + e^-x), as the engine's sigmoid op computes it.
template <std::floating_point T> T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
template <class T> Batch<T> sigmoid(const Batch<T>& x) {
  return Batch<T>(T(1)) / (Batch<T>(T(1)) + xsimd::exp(-x));
}

template <std::floating_point T> T tanh_of(T x) {
  return std::tanh(x);
}
template <class T> Batch<T> tanh_of(const Batch<T>& x) {
  return xsimd::tanh(x);
}

// Calls row_body(row) for every row, in parallel blocks of rows when the batch's work (about
// `cost_per_row` element operations a row) is worth a parallel region.
template <class RowBody>
void for_each_row_block(std::int64_t rows, std::int64_t cost_per_row, RowBody&& row_body) {
  constexpr std::int64_t kRowsPerBlock = 8;
  tapegrad::kernels::parallel_blocks(
      tapegrad::kernels::ceil_div(rows, kRowsPerBlock), rows * cost_per_row,
      [&](std::int64_t block) {
        const std::int64_t end = std::min(rows, (block + 1) * kRowsPerBlock);
        for (std::int64_t row = block * kRowsPerBlock; row < end; ++row)
          row_body(row);
      });
}

} // namespace tapegrad::nn::kernels

#pragma once
// A Mixture copied off the tape into doubles, every noise model written as a lower-triangular scale
// matrix, for the computations that need no gradient: sampling, predictions and metrics.
#include "autograd/kernels/parallel.hpp"
#include "mdn/mixture.hpp"

#include <algorithm>
#include <vector>

namespace tapegrad::mdn {

struct DenseMixture {
  std::int64_t batch = 0, components = 0, dim = 0;
  std::vector<double> log_pi;     // [B][K]
  std::vector<double> mean;       // [B][K][D]
  std::vector<double> scale_tril; // [B][K][D][D], zeros above the diagonal
  std::vector<double> log_det;    // [B][K]: sum_i log L_ii, log |Sigma|^(1/2), computed once

  explicit DenseMixture(const Mixture& mixture);

  const double* mean_of(std::int64_t b, std::int64_t k) const {
    return mean.data() + (b * components + k) * dim;
  }
  const double* tril_of(std::int64_t b, std::int64_t k) const {
    return scale_tril.data() + ((b * components + k) * dim) * dim;
  }
  double pi(std::int64_t b, std::int64_t k) const;
  // log N(y | mu_bk, Sigma_bk) at a point y of dimension D.
  double component_log_density(std::int64_t b, std::int64_t k, const double* y) const;
  // log p(y | x_b) at a point y of dimension D.
  double log_density(std::int64_t b, const double* y) const;
  // The index of the component with the largest weight in row b.
  std::int64_t most_probable(std::int64_t b) const;
};

// Calls row(b) for b in [0, rows), in fixed blocks of rows spread over the threads. For the
// row-by-row searches and sums (mode, quantiles, CRPS): each row's result depends on that row
// alone, so the bits are the same on any number of threads. `work_per_row` estimates a row's
// element-operations (below kernels::min_parallel_work() in all, one thread does everything).
template <class Row> void for_each_row(std::int64_t rows, std::int64_t work_per_row, Row&& row) {
  constexpr std::int64_t kRowsPerBlock = 16;
  tapegrad::kernels::parallel_blocks(tapegrad::kernels::ceil_div(rows, kRowsPerBlock),
                                     rows * work_per_row, [&](std::int64_t block) {
                                       const std::int64_t end =
                                           std::min(rows, (block + 1) * kRowsPerBlock);
                                       for (std::int64_t b = block * kRowsPerBlock; b < end; ++b)
                                         row(b);
                                     });
}

} // namespace tapegrad::mdn

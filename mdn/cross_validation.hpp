#pragma once
// Model-order selection by k-fold cross-validation (mdn::fit with several FitOptions::components,
// `mdn fit --components 1,2,3,4,5`).
//
// The rows are dealt into `folds` folds by a seeded shuffle. For every candidate K and fold f, one
// network is fitted to the other folds (holding out its validation share of them for early
// stopping) and scores the rows of fold f; the network of fold f starts from the same seed for
// every K, so the comparison between two K is paired. Every row is scored once by a network that
// never saw it: the out-of-fold NLL of each K.
//
// The choice is the smallest K whose out-of-fold NLL is within one standard error of the best K's
// (the standard error of the best K's mean per-row NLL): the one-standard-error rule of Breiman et
// al. and of Hastie, Tibshirani and Friedman (Elements of Statistical Learning, 7.10). Components
// beyond those the data need are left unused rather than harmful (Bishop 1994), so larger K score
// about as well as enough, and which of them scores best is down to chance; the rule keeps the
// smallest K that scores as well as the best within the precision of the estimate.
//
// The table also gives each K's excess over the best with the standard error of that difference,
// paired row by row: a finer yardstick, which we measured and do not choose by. On Bishop's
// problem (1000 rows, bench/QUALITY.md) it shows that 4 or 5 Gaussians fit the three branches'
// flat-topped densities about 0.01 nats better than 3, and picked K = 3 in 5 seeds of 10; the
// rule above picks the three branches in all 10, at a cost in held-out NLL smaller than its
// standard error.
#include "mdn/network_fit.hpp"

#include <vector>

namespace tapegrad::mdn {

struct ComponentScore {
  std::int64_t components = 0;
  double nll = 0;       // mean out-of-fold NLL, in the units of the data fitted (standardised)
  double nll_se = 0;    // its standard error: the per-row spread over sqrt(rows)
  double excess = 0;    // nll minus the best K's
  double excess_se = 0; // the standard error of that difference, paired row by row
};

struct ComponentChoice {
  std::vector<ComponentScore> scores; // in the order the candidates were given
  std::size_t best = 0;               // the lowest out-of-fold NLL
  std::size_t chosen = 0;             // the one-standard-error rule's choice
  bool stopped = false; // train.should_stop stopped a network: no scores, nothing chosen
};

// The scores of each candidate from the NLL of every row (row_nll[c][i]: candidate c, row i), the
// best and the one-standard-error rule's choice.
ComponentChoice choose_components(const std::vector<std::int64_t>& components,
                                  const std::vector<std::vector<double>>& row_nll);

// x [N, in] and y [N, out], standardised. `train` may hold the recipe's automatic values
// (mdn/recipe.hpp); train.should_stop stops every network. The networks run in parallel, over
// the threads and, given `processes`, over its processes too (mdn/spread_jobs.hpp): the choice is
// the same on any number of threads and processes. Every process of `processes` calls it alike.
ComponentChoice cross_validate_components(const std::vector<std::int64_t>& components,
                                          MDNOptions model, const TrainOptions& train,
                                          const Tensor& x, const Tensor& y, std::int64_t folds,
                                          double validation, std::uint64_t seed,
                                          DType dtype = kFloat32,
                                          nn::Communicator* processes = nullptr);

} // namespace tapegrad::mdn

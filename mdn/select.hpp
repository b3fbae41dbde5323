#pragma once
// Model-order selection: fit one MDN per candidate number of components K and keep the one with
// the lowest validation NLL, reporting every K's figure.
#include "mdn/train.hpp"

#include <functional>
#include <limits>
#include <memory>
#include <vector>

namespace tapegrad::mdn {

struct OrderCandidate {
  std::int64_t components = 0;
  // The best validation NLL training reached, in the units it was trained in; from mdn::fit's
  // cross-validation, the out-of-fold NLL in the data's units, with its standard error, and its
  // excess over the best K's with that difference's standard error (mdn/cross_validation.hpp).
  double val_nll = 0;
  double val_nll_se = std::numeric_limits<double>::quiet_NaN();
  double excess = std::numeric_limits<double>::quiet_NaN();
  double excess_se = std::numeric_limits<double>::quiet_NaN();
  std::int64_t best_epoch = 0;
  std::shared_ptr<MDN> model; // trained, at its best epoch (mdn::fit: the kept K's first network)
  TrainResult result;         // its training history
};

struct OrderSelection {
  std::vector<OrderCandidate> candidates; // in the order given
  std::size_t best = 0;                   // index into candidates
  std::shared_ptr<MDN> model;             // the best, trained
};

// Each candidate is built from `options` with its own K, from Generator(seed) so that every K
// starts the same way, optionally initialised from y (init_from_targets), and trained with
// `train_options`. When train_options.should_stop stops a candidate's training, the selection
// stops there too (that candidate's result says `stopped`). `on_candidate(K)`, when given, is
// called before each K is trained (a progress display labels its lines with it).
OrderSelection select_components(const std::vector<std::int64_t>& components, MDNOptions options,
                                 const TrainOptions& train_options, const Tensor& x,
                                 const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                                 std::uint64_t seed, bool init_from_targets = true,
                                 DType dtype = kFloat32,
                                 const std::function<void(std::int64_t)>& on_candidate = nullptr);

} // namespace tapegrad::mdn

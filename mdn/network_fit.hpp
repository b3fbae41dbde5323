#pragma once
// One network of a fit, as mdn::fit trains each member of an ensemble and cross-validation each
// fold: built from Generator(seed), its head started at the quantiles of the training targets,
// trained by mdn::train with the recipe's automatic settings resolved for its training rows.
#include "mdn/train.hpp"

#include <memory>

namespace tapegrad::mdn {

struct NetworkData {
  Tensor x, y;         // the training rows, standardised
  Tensor x_val, y_val; // the validation rows, or undefined tensors for none
};

// Splits standardised rows into a network's training and validation rows: a seeded random share
// `validation` of them held out (none at 0).
NetworkData split_for_network(const Tensor& x, const Tensor& y, double validation,
                              std::uint64_t seed);

struct NetworkFit {
  std::shared_ptr<MDN> model; // at its best epoch
  TrainResult result;
};

// `options` may hold the recipe's automatic values (mdn/recipe.hpp); train.seed is replaced by
// `seed`, which also draws the initial weights.
NetworkFit fit_network(const MDNOptions& model, TrainOptions train, const NetworkData& data,
                       std::uint64_t seed, DType dtype);

// The seed of network m of a fit of seed `seed`: the fit's own for m = 0, so that a one-network
// fit is Generator(seed)'s, and derive_seed(seed, m) otherwise.
std::uint64_t network_seed(std::uint64_t seed, std::int64_t m);

} // namespace tapegrad::mdn

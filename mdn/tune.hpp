#pragma once
// Hyperparameter search (`mdn tune`): a random search over the number of components, the hidden
// layers, the learning rate and the regularisation (noise, weight decay), each configuration
// scored by its k-fold cross-validated NLL (mdn::cross_validate: one network per fold, every row
// scored by a network that never saw it), the best then fitted by mdn::fit with the defaults'
// ensemble on all rows.
//
// The configurations are a seeded sequence: trial 0 is the defaults (so the search never ends
// with a cross-validated NLL worse than theirs), trial i > 0 is drawn from
// Generator(derive_seed(seed, i)). The sequence is the same on every machine; a time budget only
// decides how far along it the search gets, so a faster machine (or a quieter one) tries more
// trials and may find a better model. `trials` fixes the number, and with it the whole result.
#include "mdn/fit.hpp"

#include <functional>
#include <string>
#include <vector>

namespace tapegrad::mdn {

struct TuneTrial {
  std::int64_t index = 0;
  std::int64_t components = 0;
  std::vector<std::int64_t> hidden;
  double lr = 0;
  double noise_factor = 0; // of the rule of thumb (mdn/recipe.hpp); 0: no noise
  double weight_decay = 0;
  double cv_nll = 0;    // out-of-fold NLL, nats per point in the data's units
  double cv_nll_se = 0; // its standard error
  double seconds = 0;   // of its cross-validation
};

struct TuneOptions {
  // The search stops starting trials once this many seconds have passed (checked before each
  // trial: the last one may run past it; the final fit comes after). 0: no time limit.
  double budget_seconds = 60;
  std::int64_t trials = 0; // > 0: exactly this many trials, whatever the time
  std::uint64_t seed = 1;  // of the sequence of configurations
  std::function<void(const TuneTrial&)> on_trial = nullptr; // after each trial
  // Called before the final fit of the best configuration.
  std::function<void(const TuneTrial&)> on_final_fit = nullptr;
};

struct TuneResult {
  std::vector<TuneTrial> trials; // in the order run
  std::size_t best = 0;          // the lowest cross-validated NLL
  FittedModel model;             // the best configuration fitted to all rows
};

// The configuration of trial `index` of the sequence of `seed` (trial 0: the defaults in `base`).
TuneTrial tune_trial(const FitOptions& base, std::int64_t index, std::uint64_t seed);

// x [N, in], y [N, out]. `base` holds everything that is not searched (names, folds, the step
// budget, the ensemble of the final fit, ...). Its train.on_epoch and should_stop are used for
// the final fit only. With base.communicator of several processes, every process runs every
// trial's cross-validation, process 0's clock decides when the budget is spent, and the final fit
// shares its batches among them.
TuneResult tune(const Tensor& x, const Tensor& y, const FitOptions& base,
                const TuneOptions& options);

} // namespace tapegrad::mdn

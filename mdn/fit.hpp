#pragma once
// The whole job of fitting a conditional density p(y | x) to data, as `mdn fit` does it:
//
//   mdn::FittedModel model = mdn::fit(x, y, {.components = {3}, .model = {.hidden = {20, 20}}});
//   model.save("model.tgm");                         // and later: mdn::load("model.tgm")
//   mdn::Metrics m = model.evaluate(x_test, y_test); // NLL, RMSE, CRPS... in y's units
//   Tensor s = model.sample(x_new, 10, gen);         // [B, 10, D]
//
// The recipe (its measured defaults: README.md, "Defaults and how they were measured"):
// standardise x and y (mdn::Standardizer); raise the floor under the scales to the resolution the
// targets are recorded at (mdn/resolution.hpp); then fit an ensemble of `ensemble` networks in
// parallel, network m from Generator(seed) (m = 0) or Generator(derive_seed(seed, m)), each
// holding out its own seeded share of the rows for validation, its head starting at the
// quantiles of y (MixtureDensityHead::init_from_targets), trained by mdn::train for a budget of
// Adam steps with warm-up and cosine decay, full batch on small data, noise regularisation, and
// early stopping that waits out the first phase, keeping each network's best epoch. The ensemble
// predicts the average of its networks' densities (mdn/ensemble.hpp). With several candidate
// numbers of components, k-fold cross-validation chooses one first (mdn/cross_validation.hpp).
// Everything a FittedModel returns is in the data's units.
#include "mdn/checkpoint.hpp"
#include "mdn/cross_validation.hpp"
#include "mdn/ensemble.hpp"
#include "mdn/metrics.hpp"
#include "mdn/sampling.hpp"
#include "mdn/select.hpp"
#include "mdn/standardizer.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tapegrad::mdn {

struct FitOptions {
  // Candidate numbers of components K: one is fitted as it is; among several, `folds`-fold
  // cross-validation chooses (mdn/cross_validation.hpp) and the chosen K is then fitted. Empty:
  // model.components.
  std::vector<std::int64_t> components{};
  // The network; in_features and out_dim come from the data. A full covariance by default: with
  // several outputs it holds their correlation (a diagonal one needs many components for that),
  // and with one output it is the diagonal model.
  MDNOptions model{.components = 10, .noise = NoiseModel::Full};
  // mdn::train's options: a budget of steps (epochs 0; a number of epochs instead takes over).
  // Automatic here (mdn/recipe.hpp): batch_size 0 (full batch up to 512 training rows, else 256),
  // patience and min_epochs below 0 (shares of the planned epochs).
  // train.on_epoch gets each epoch's NLLs in the data's units (mdn::train's own are standardised).
  TrainOptions train{.epochs = 0,
                     .steps = 3000,
                     .batch_size = 0,
                     .lr = 3e-3,
                     .warmup_steps = 100,
                     .final_lr = 0.01,
                     .patience = -1,
                     .min_epochs = -1};
  double validation = 0.1; // the share of rows each network holds out for early stopping
  std::uint64_t seed = 1;  // the initial weights, the validation splits, batches and noise
  DType dtype = kFloat32;  // of the network

  // The number of networks, each from its own seed, whose densities are averaged.
  std::int64_t ensemble = 5;
  // Noise regularisation: the standard deviation of the noise on the standardised x and y of
  // every training batch; 0: none; unset: Rothfuss et al.'s rule of thumb (mdn/recipe.hpp).
  std::optional<double> noise{};
  // Raise model.min_scale, the floor under every scale, to the resolution of y: a target recorded
  // in whole units gets a floor near a unit / sqrt(12) (mdn/resolution.hpp).
  bool floor_at_resolution = true;
  std::int64_t folds = 5; // of the cross-validation that chooses among several K

  // The names of x's and y's columns, saved with the model (default x0, x1, ... and y0, ...), and
  // of the data, for messages ("train.csv: column 'c' holds the same value ...").
  std::vector<std::string> x_names{}, y_names{};
  std::string source = "the data";

  // Called before each candidate K is trained (progress displays label their lines with it).
  std::function<void(std::int64_t components)> on_candidate = nullptr;

  // Checkpoints, with one candidate K only. Every `checkpoint_every` epochs (0: never), and when
  // `train.should_stop` answers true, the whole state of the fit goes to `checkpoint`, written
  // atomically (mdn/checkpoint.hpp). Given a checkpoint as `resume`, the fit carries on where it
  // stopped and ends with the model an uninterrupted run would have, bit for bit; the data and
  // the settings (fit_settings) must be those of the run it holds.
  std::filesystem::path checkpoint{};
  std::int64_t checkpoint_every = 0;
  std::optional<FitCheckpoint> resume{};

  // The processes the fit runs on (nn/distributed.hpp; `mdn fit` passes nn::world()); unset: this
  // one. Every process calls fit() with the same data and options and gets the same model, bit
  // for bit the one a single process fits. An ensemble's networks are dealt out to the processes,
  // each trained whole on one, when that shares the work better than sharing each network's
  // batches (TrainOptions::communicator) and no periodic checkpoint or resume needs every
  // network's state on process 0 (train.should_stop is then not asked); otherwise they train one
  // after another, each on all processes. Process 0 alone writes the checkpoint. Cross-validation's
  // networks (several K; mdn::tune's trials) are spread over the processes, each network on one
  // (mdn/spread_jobs.hpp).
  std::shared_ptr<nn::Communicator> communicator = nullptr;
};

// The settings that decide the model a fit ends with, each as canonical text under the name the
// `mdn fit` flag uses ("lr" -> "0.01" whether written 0.010 or 1e-2): what a checkpoint records
// and a resumed fit must match.
std::vector<std::pair<std::string, std::string>> fit_settings(const FitOptions& options);

// Point predictions of each row in the data's units, float64: the mixture's mean, standard
// deviation (square root of the diagonal of its covariance, within + between components) and
// mode [B, D], and each component's weight pi_k [B, K], mean [B, K, D] and standard deviation
// [B, K, D] (for a full covariance the square root of the diagonal of L L^T). For an ensemble of
// M networks, K is M times each network's: all of their components.
struct Predictions {
  Tensor mean, stddev, mode;
  Tensor weight, component_mean, component_stddev;
};

class FittedModel {
public:
  // The ensemble's networks (one without an ensemble), all of the same options, each working on
  // standardised data. p(y | x) is the average of their densities (mdn/ensemble.hpp).
  std::vector<std::shared_ptr<MDN>> members;
  Standardizer x_scale, y_scale; // fitted on the training rows
  std::vector<std::string> x_names, y_names;
  // The first network's training history, its NLLs in the data's units (nats per point of y).
  TrainResult result;
  std::vector<OrderCandidate> candidates; // every K tried, val_nll and history in the data's units
  // What the fit noticed and the user should know (a component collapsed onto a repeated value,
  // say), one sentence each; `mdn fit` prints them as "warning: ..." lines.
  std::vector<std::string> warnings;

  // Of each network: components is K per network; the ensemble's mixture has M K.
  const MDNOptions& options() const { return members.front()->options(); }
  std::int64_t in_features() const { return options().in_features; }
  std::int64_t out_dim() const { return options().out_dim; }
  std::int64_t ensemble_size() const { return static_cast<std::int64_t>(members.size()); }
  // False when train.should_stop stopped the fit before its end (the checkpoint resumes it).
  bool complete() const { return !members.empty() && !result.stopped; }

  // p(y | x) for raw x [B, in], in the units of y, off the tape: a mixture of M K components.
  Mixture mixture(const Tensor& x) const;
  Predictions predict(const Tensor& x) const;
  // n samples of y per row of x: [B, n, D] (mdn::sample, with its temperatures).
  Tensor sample(const Tensor& x, std::int64_t n, Generator& generator,
                const SampleOptions& options = {}) const;
  // NLL (nats per point, in y's units), RMSE, MAE, and for one output CRPS and 90% coverage.
  Metrics evaluate(const Tensor& x, const Tensor& y) const;
  double nll(const Tensor& x, const Tensor& y) const;

  // The model file (mdn/model_file.hpp): versioned, checksummed, written atomically; and the
  // same bytes in memory.
  void save(const std::filesystem::path& path) const;
  std::vector<unsigned char> to_bytes() const;
};

// x [N, in] and y [N, out], float32 or float64, finite. Throws an Error naming options.source
// and the column for data it cannot fit (a constant column, fewer rows than a batch or than the
// validation share needs).
FittedModel fit(const Tensor& x, const Tensor& y, const FitOptions& options = {});
// The same with validation data of one's own (options.validation is not used): x_val [M, in] and
// y_val [M, out].
FittedModel fit(const Tensor& x, const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                const FitOptions& options = {});

// k-fold cross-validation (FitOptions::folds) of the candidates FitOptions::components on the data
// as fit() prepares them (standardised, the floor raised, the noise resolved): every K's
// out-of-fold NLL in the data's units, the best and the one-standard-error rule's choice
// (mdn/cross_validation.hpp). What fit() does first with several K, and `mdn tune` per trial.
ComponentChoice cross_validate(const Tensor& x, const Tensor& y, const FitOptions& options);

} // namespace tapegrad::mdn

#pragma once
// The whole job of fitting a conditional density p(y | x) to data, as `mdn fit` does it:
//
//   mdn::FittedModel model = mdn::fit(x, y, {.components = {3}, .model = {.hidden = {20, 20}}});
//   model.save("model.tgm");                         // and later: mdn::load("model.tgm")
//   mdn::Metrics m = model.evaluate(x_test, y_test); // NLL, RMSE, CRPS... in y's units
//   Tensor s = model.sample(x_new, 10, gen);         // [B, 10, D]
//
// The recipe: hold out a seeded random share of the rows for validation, standardise x and y with
// the training rows' statistics (mdn::Standardizer), build the network from Generator(seed), start
// the head's means at the quantiles of y (MixtureDensityHead::init_from_targets), train with Adam
// and early stopping on the validation NLL (mdn::train), and keep the best epoch. With several
// candidate numbers of components, each is fitted so and the one with the lowest validation NLL
// is kept (mdn::select_components). Everything a FittedModel returns is in the data's units.
#include "mdn/checkpoint.hpp"
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
  // Candidate numbers of components K: one is fitted as it is, several are each fitted and the
  // best by validation NLL kept (that needs validation > 0). Empty: model.components.
  std::vector<std::int64_t> components{};
  MDNOptions model{}; // the network; in_features and out_dim come from the data
  // train.on_epoch gets each epoch's NLLs in the data's units (mdn::train's own are standardised).
  TrainOptions train{.epochs = 300, .batch_size = 128, .lr = 0.005, .patience = 50};
  double validation = 0.1; // the share of rows held out for validation and early stopping
  std::uint64_t seed = 1;  // the initial weights and the validation split
  DType dtype = kFloat32;  // of the network

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
};

// The settings that decide the model a fit ends with, each as canonical text under the name the
// `mdn fit` flag uses ("lr" -> "0.01" whether written 0.010 or 1e-2): what a checkpoint records
// and a resumed fit must match.
std::vector<std::pair<std::string, std::string>> fit_settings(const FitOptions& options);

// Point predictions of each row in the data's units, float64: the mixture's mean, standard
// deviation (square root of the diagonal of its covariance, within + between components) and
// mode [B, D], and each component's weight pi_k [B, K], mean [B, K, D] and standard deviation
// [B, K, D] (for a full covariance the square root of the diagonal of L L^T).
struct Predictions {
  Tensor mean, stddev, mode;
  Tensor weight, component_mean, component_stddev;
};

class FittedModel {
public:
  std::shared_ptr<MDN> module;   // works on standardised data
  Standardizer x_scale, y_scale; // fitted on the training rows
  std::vector<std::string> x_names, y_names;
  // The kept model's training history; its NLLs in the data's units (nats per point of y).
  TrainResult result;
  std::vector<OrderCandidate> candidates; // every K tried, val_nll and history in the data's units

  const MDNOptions& options() const { return module->options(); }
  std::int64_t in_features() const { return options().in_features; }
  std::int64_t out_dim() const { return options().out_dim; }
  // False when train.should_stop stopped the fit before its end (the checkpoint resumes it).
  bool complete() const { return module && !result.stopped; }

  // p(y | x) for raw x [B, in], in the units of y, off the tape.
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

} // namespace tapegrad::mdn

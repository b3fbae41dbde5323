#pragma once
// Fitting an MDN: Adam on mini-batches of the mean NLL, with validation after every epoch, early
// stopping on the validation NLL, and the best model kept. The loop every example and the `mdn`
// command share.
#include "mdn/model.hpp"

#include <functional>
#include <limits>
#include <vector>

namespace tapegrad::mdn {

struct EpochReport {
  std::int64_t epoch = 0; // counted from 1
  double train_nll = 0;   // mean over the epoch's batches, nats per point
  double val_nll = std::numeric_limits<double>::quiet_NaN(); // NaN without validation data
  bool improved = false; // the best validation NLL so far (the model kept)
  double seconds = 0;    // wall time of the epoch
  std::int64_t step = 0; // optimiser steps taken so far, this epoch's included
  double lr = 0;         // the learning rate of the epoch's last step
};

struct TrainOptions {
  std::int64_t epochs = 200;
  std::int64_t batch_size = 128;
  double lr = 1e-3;
  double weight_decay = 0; // AdamW's decoupled decay when > 0, plain Adam otherwise
  double clip_norm = 0;    // clip the gradient norm to this when > 0
  std::int64_t patience =
      0;                  // stop after this many epochs without a better validation NLL; 0: never
  std::uint64_t seed = 0; // the order of the mini-batches
  std::function<void(const EpochReport&)> on_epoch = nullptr; // progress display

  // Checkpoints. After every `checkpoint_every`-th epoch (0: never), and when `should_stop`
  // answers true after an epoch (a signal, say), train() hands `on_checkpoint` its whole state:
  // the model, the optimiser's moments and step count, the epochs done, the early-stopping state
  // with the best parameters, and the history. After should_stop it then returns, with
  // TrainResult::stopped set. Given such a state as `resume`, train() carries on where it
  // stopped; as each epoch's batches depend only on (seed, epoch), the final model is the one of
  // an uninterrupted run, bit for bit, when the data and the other options are the same.
  std::int64_t checkpoint_every = 0;
  std::function<void(const nn::StateDict&)> on_checkpoint = nullptr;
  std::function<bool()> should_stop = nullptr; // asked after each epoch but the last
  nn::StateDict resume{};                      // empty: start afresh
};

struct TrainResult {
  std::vector<EpochReport> history;
  std::int64_t best_epoch =
      0; // whose parameters the model holds at the end (the last one without validation)
  double best_val_nll = std::numeric_limits<double>::quiet_NaN();
  // should_stop answered true: training is not finished and the model holds the last epoch's
  // parameters (the state handed to on_checkpoint resumes it).
  bool stopped = false;
};

// Trains `model` on (x, y); x_val and y_val may be undefined tensors (no validation, no early
// stopping). Throws naming the epoch and batch if the loss or a gradient stops being finite;
// the last state handed to on_checkpoint is then the last good one.
TrainResult train(MDN& model, const Tensor& x, const Tensor& y, const Tensor& x_val,
                  const Tensor& y_val, const TrainOptions& options);

// The mean NLL of a model on (x, y), in batches, without recording.
double evaluate_nll(const MDN& model, const Tensor& x, const Tensor& y,
                    std::int64_t batch_size = 4096);

} // namespace tapegrad::mdn

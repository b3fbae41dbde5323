#pragma once
// Fitting an MDN: Adam on mini-batches of the mean NLL, with validation after every epoch, early
// stopping on the validation NLL, and the best model kept. The loop every example and the `mdn`
// command share. Optionally: a budget in optimiser steps rather than epochs, a learning rate that
// warms up and then decays along a cosine, early stopping that waits out the first epochs, and
// noise regularisation (Gaussian noise on each batch's x and y, never at validation).
//
// Each batch's gradient is computed in fixed shards of its rows and summed in one fixed order
// (nn/sharded_gradient.hpp), so that a communicator of several processes (data-parallel training
// under mpirun: each process computes its share of the shards) trains the same model, bit for
// bit, as one process does.
#include "mdn/model.hpp"
#include "nn/distributed.hpp"

#include <functional>
#include <limits>
#include <memory>
#include <vector>

namespace tapegrad::mdn {

struct EpochReport {
  std::int64_t epoch = 0;  // counted from 1
  std::int64_t epochs = 0; // planned for this run (fewer are run when early stopping ends it)
  std::int64_t member = 0; // which network of an ensemble (mdn::fit) this epoch trained
  double train_nll = 0;    // mean over the epoch's batches, nats per point
  double val_nll = std::numeric_limits<double>::quiet_NaN(); // NaN without validation data
  bool improved = false; // the best validation NLL so far (the model kept)
  double seconds = 0;    // wall time of the epoch
  std::int64_t step = 0; // optimiser steps taken so far, this epoch's included
  double lr = 0;         // the learning rate of the epoch's last step
};

struct TrainOptions {
  // The passes over the data; 0: as many as the budget of `steps` takes.
  std::int64_t epochs = 200;
  // With epochs 0, the budget in optimiser steps: ceil(steps / batches per epoch) epochs. A
  // budget in steps is the same amount of optimisation whatever the rows and the batch size.
  std::int64_t steps = 0;
  std::int64_t batch_size = 128;
  double lr = 1e-3;
  // The learning rate of step t of the S steps of the run (S = epochs x batches per epoch):
  // lr (t + 1) / warmup_steps during the warm-up, then a cosine from lr down to lr * final_lr at
  // the last step. warmup_steps 0 and final_lr 1: a constant rate. The rate is a formula of the
  // optimiser's step count, so a resumed run follows it exactly.
  std::int64_t warmup_steps = 0;
  double final_lr = 1;
  double weight_decay = 0; // AdamW's decoupled decay when > 0, plain Adam otherwise
  double clip_norm = 0;    // clip the gradient norm to this when > 0
  std::int64_t patience =
      0; // stop after this many epochs without a better validation NLL; 0: never
  // Early stopping does not stop before this many epochs: the validation NLL of the first,
  // noisy phase of training (large steps, components still finding their branches) goes up and
  // down without saying anything about the end.
  std::int64_t min_epochs = 0;
  // Noise regularisation (Rothfuss et al. 2019): every training batch's x and y get fresh
  // Gaussian noise of these standard deviations, in the units train() sees (standardised, from
  // mdn::fit). It smooths the density the network can learn from few rows. Validation and every
  // prediction use the data as they are.
  double input_noise = 0;
  double target_noise = 0;
  std::uint64_t seed = 0; // the order of the mini-batches and the noise
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
  // Handed the state after the last epoch, when training ends (not when should_stop stops it):
  // resumed from it, train() does no more epochs and ends with the same model. An ensemble's fit
  // keeps its finished networks' states so, for a checkpoint written later.
  std::function<void(const nn::StateDict&)> on_finish = nullptr;

  // The processes that share each batch's gradient (nn/distributed.hpp); unset: this one alone.
  // Every process calls train() with the same model, data and options, and ends with the same
  // model; should_stop is asked on process 0 only and its answer goes to all. The callbacks run
  // on every process (a caller lets process 0 alone write files).
  std::shared_ptr<nn::Communicator> communicator = nullptr;
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

// The epochs a run of these options makes over `rows` rows (options.epochs, or the step budget's).
std::int64_t planned_epochs(const TrainOptions& options, std::int64_t rows);

// The learning rate of step `step` (counted from 0) of a run of `total_steps` steps.
double scheduled_lr(const TrainOptions& options, std::int64_t step, std::int64_t total_steps);

// The mean NLL of a model on (x, y), in batches, without recording.
double evaluate_nll(const MDN& model, const Tensor& x, const Tensor& y,
                    std::int64_t batch_size = 4096);

} // namespace tapegrad::mdn

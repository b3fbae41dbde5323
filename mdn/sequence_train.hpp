#pragma once
// Training a recurrent MDN through time: Adam on mini-batches of sequences, truncated
// backpropagation through time with the state carried across chunks, gradient clipping on by
// default, and validation after every epoch with early stopping and the best epoch kept.
//
// Each batch of sequences is cut into chunks of `bptt` steps. The chunks run in order: each starts
// from the previous chunk's final state cut off from the tape (the state carries on, the gradient
// stops at the chunk's start), its masked NLL is backpropagated, the gradient's norm clipped, and
// Adam steps. A batch whose sequences have all ended stops early; padding never enters the loss.
#include "mdn/sequence_data.hpp"
#include "mdn/sequence_model.hpp"
#include "mdn/train.hpp"

#include <functional>

namespace tapegrad::mdn {

struct SequenceTrainOptions {
  std::int64_t epochs = 100;
  std::int64_t batch_size = 32; // sequences per batch
  std::int64_t bptt = 100;      // steps per chunk of truncated BPTT; 0: whole sequences
  double lr = 1e-3;
  double clip_norm = 1.0;    // the gradient's norm is clipped to this (0: no clipping)
  std::int64_t patience = 0; // stop after this many epochs without a better validation NLL
  std::uint64_t seed = 0;    // the order of the sequences in each epoch
  std::function<void(const EpochReport&)> on_epoch = nullptr; // progress display
};

// Trains `model` on `train`; `validation` may be empty (no early stopping: the last epoch is
// kept). NLLs are in nats per real step. Throws naming the epoch, batch and chunk if the loss or
// a gradient stops being finite.
TrainResult train_sequences(SequenceMDN& model, const SequenceData& train,
                            const SequenceData& validation, const SequenceTrainOptions& options);

// log p(y_t, e_t | x_<=t) of every step of every sequence, off the tape: [N, T] float64, 0 at
// padding. Sequences run in batches of `batch_size`, each through all its steps.
Tensor sequence_log_prob(const SequenceMDN& model, const SequenceData& data,
                         std::int64_t batch_size = 256);
// The mean NLL per real step of `data`, in nats.
double evaluate_sequence_nll(const SequenceMDN& model, const SequenceData& data,
                             std::int64_t batch_size = 256);

} // namespace tapegrad::mdn

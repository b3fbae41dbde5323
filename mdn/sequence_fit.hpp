#pragma once
// The whole job of fitting a recurrent MDN to sequences, as `mdn fit --sequence COLUMN` does it:
//
//   mdn::FittedSequenceModel model = mdn::fit_sequences(series, options);  // series[i] [T_i, D]
//   model.save("model.tgm");                        // and later: mdn::load_sequence_model(...)
//   std::vector<Tensor> next = model.continue_sequences(series, 20, gen); // [20, D] each
//   double nll = model.nll(test_series);           // nats per step, in the data's units
//
// The model is autoregressive, p(y_t | y_<t): each step's input is the previous step. The recipe:
// hold out a seeded random share of the sequences for validation, standardise y with the
// training sequences' statistics, build the network from Generator(seed), train with truncated
// BPTT, clipping and early stopping on the validation NLL (mdn::train_sequences), keep the best
// epoch. Everything a FittedSequenceModel returns is in the data's units.
#include "mdn/sampling.hpp"
#include "mdn/sequence_model.hpp"
#include "mdn/sequence_train.hpp"
#include "mdn/standardizer.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace tapegrad::mdn {

struct SequenceFitOptions {
  SequenceMDNOptions model{.components = 5, .hidden = 64}; // in_features and out_dim: the data's
  // train.on_epoch gets each epoch's NLLs in the data's units (train_sequences' own are
  // standardised).
  SequenceTrainOptions train{
      .epochs = 300, .batch_size = 32, .bptt = 100, .lr = 0.005, .patience = 50};
  double validation = 0.1; // the share of sequences held out for validation and early stopping
  std::uint64_t seed = 1;  // the initial weights and the validation split

  // The names of y's columns and of the column that told the sequences apart, saved with the
  // model, and of the data, for messages.
  std::vector<std::string> y_names{};
  std::string sequence_name{};
  std::string source = "the data";
};

class FittedSequenceModel {
public:
  std::shared_ptr<SequenceMDN> module; // works on standardised data
  Standardizer y_scale;                // fitted on the training sequences
  std::vector<std::string> y_names;
  std::string sequence_name;
  TrainResult result; // the kept model's training history, its NLLs in the data's units

  std::int64_t out_dim() const { return module->options().out_dim; }
  // -log p(y_t | y_<t) of every step of every sequence [T_i, D], in nats and the data's units.
  std::vector<std::vector<double>> step_nll(const std::vector<Tensor>& series) const;
  // The mean of step_nll over all steps.
  double nll(const std::vector<Tensor>& series) const;
  // Each sequence continued by `steps` drawn steps ([steps, D] each, data units), with the
  // temperatures of mdn::sample; the same generator state gives the same draws.
  std::vector<Tensor> continue_sequences(const std::vector<Tensor>& series, std::int64_t steps,
                                         Generator& generator,
                                         const SampleOptions& options = {}) const;

  // The model file (mdn/sequence_file.hpp), and the same bytes in memory.
  void save(const std::filesystem::path& path) const;
  std::vector<unsigned char> to_bytes() const;
};

// series[i] [T_i, D], float32 or float64, finite, every T_i >= 2. Throws naming options.source
// for data it cannot fit (a constant column, too few sequences for the validation share).
FittedSequenceModel fit_sequences(const std::vector<Tensor>& series,
                                  const SequenceFitOptions& options = {});

} // namespace tapegrad::mdn

#pragma once
// The model file of a FittedSequenceModel (FittedSequenceModel::save, load_sequence_model; `mdn fit
// --sequence`): one nn state file, as the feed-forward model file (mdn/model_file.hpp), holding
// the network's parameters under "model." and what is needed to use them under "config.":
//
//   config.sequence_format_version   int64, kSequenceFileVersion (what marks a sequence model)
//   config.rnn, config.noise          text ("gru", "diagonal")
//   config.out_dim, config.components, config.hidden, config.layers   int64
//   config.fixed_scale, config.min_scale                              float64 [1]
//   config.y_columns, config.sequence_column   text (names separated by '\n')
//   config.y_mean, config.y_std                float64 [columns]
//   model.*                                     the SequenceMDN's state_dict
//
// Loading checks every entry, and that the sizes read call for no more parameters than the file
// holds, before it builds the network, and names the file and the entry when one is wrong.
#include "mdn/sequence_fit.hpp"
#include "nn/state.hpp"

#include <filesystem>
#include <span>
#include <string>

namespace tapegrad::mdn {

inline constexpr std::int64_t kSequenceFileVersion = 1;

// Whether a state file holds a sequence model (rather than a feed-forward one).
bool is_sequence_model(const nn::StateDict& state);

FittedSequenceModel load_sequence_model(const std::filesystem::path& path);
FittedSequenceModel load_sequence_model_from_bytes(std::span<const unsigned char> bytes,
                                                   const std::string& source);

nn::StateDict sequence_model_state(const FittedSequenceModel& model);
FittedSequenceModel sequence_model_from_state(const nn::StateDict& state,
                                              const std::string& source);

} // namespace tapegrad::mdn

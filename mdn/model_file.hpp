#pragma once
// The model file of a FittedModel (FittedModel::save, mdn::load; `mdn fit --out`): one nn state
// file (nn/serialize.hpp: versioned, checksummed, written atomically) holding the network's
// parameters under "model." and everything needed to use them under "config.":
//
//   config.format_version   int64, kModelFileVersion
//   config.in_features, config.out_dim, config.components       int64
//   config.hidden           int64 [layers]
//   config.activation, config.noise                              text ("tanh", "diagonal")
//   config.fixed_scale, config.min_scale                         float64 [1]
//   config.x_columns, config.y_columns                           text, names separated by '\n'
//   config.x_mean, config.x_std, config.y_mean, config.y_std     float64 [columns]
//   config.history.train_nll, config.history.val_nll              float64 [epochs], optional
//   config.history.best_epoch                                     int64 [1], optional
//   model.*                 the MDN's state_dict
//
// An ensemble of M > 1 networks (FitOptions::ensemble) is written as version 2, which adds
//
//   config.ensemble         int64, M (1 to kMaxEnsemble)
//   model.<m>.*             network m's state_dict, m = 0 .. M-1, in place of model.*
//
// and a single network still as version 1, which every release reads.
// The history (the training curves, nats per point in y's units; val_nll NaN where there was no
// validation) came after the first release: a file without it loads with an empty history, and
// the first release's loader, which reads only the config entries it knows, reads a file with it.
// It holds no timings, so that the same seed writes the same bytes.
//
// Text is stored as an int64 tensor of its bytes (UTF-8), one NUL byte for an empty text. Loading
// checks every entry and names the file and the entry when one is missing, of the wrong kind, or
// out of range, before it allocates anything from the sizes it read.
#include "autograd/tensor.hpp"
#include "mdn/fit.hpp"
#include "nn/state.hpp"

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace tapegrad::mdn {

inline constexpr std::int64_t kModelFileVersion = 2; // the newest this build reads and writes

// Throws naming the file when it is not a model file of this version, or a damaged one.
FittedModel load(const std::filesystem::path& path);
// The same from the bytes of a model file (FittedModel::to_bytes), with every check of load;
// `source` names them in messages.
FittedModel load_from_bytes(std::span<const unsigned char> bytes, const std::string& source);

// The file's entries, and back (`source` names the file in messages).
nn::StateDict model_state(const FittedModel& model);
FittedModel model_from_state(const nn::StateDict& state, const std::string& source);

// Text as an int64 tensor of its bytes, and back (naming the file and entry when it is not text).
Tensor text_tensor(std::string_view text);
std::string tensor_text(const Tensor& t, const std::string& source, const std::string& name);

} // namespace tapegrad::mdn

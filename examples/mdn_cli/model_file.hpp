#pragma once
// The `mdn` command's model file: one nn StateDict file (nn/serialize.hpp: versioned,
// checksummed, written atomically) holding the network's parameters under "model." and
// everything needed to use them under "config.": the options the network was built with, the
// column names it was trained on, and the standardisation statistics of inputs and outputs.
// Text (names, choices) is stored as int64 tensors of its bytes.
#include "common/standardize.hpp"

#include <mdn/model.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tapegrad::examples {

inline constexpr std::int64_t kModelFileVersion = 1;

struct SavedModel {
  mdn::MDNOptions options;
  std::vector<std::string> x_names, y_names;
  Standardizer x_scale, y_scale;
  std::shared_ptr<mdn::MDN> model;

  // p(y | x) for raw x [B, in] in the units of y, off the tape.
  mdn::Mixture mixture(const Tensor& x) const;
};

void save_model(const std::string& path, const SavedModel& saved);
// Throws naming the file and the entry when it is not an `mdn` model file of this version.
SavedModel load_model(const std::string& path);

// Text as an int64 tensor of its bytes, and back (naming the file and entry when it is not text).
Tensor text_tensor(const std::string& text);
std::string tensor_text(const Tensor& t, const std::string& path, const std::string& name);

std::string activation_name(nn::Activation activation);
nn::Activation parse_activation(const std::string& name); // "tanh" or "relu"

} // namespace tapegrad::examples

#pragma once
// The checkpoint of a fit (mdn::fit, `mdn fit`): one nn state file (nn/serialize.hpp: versioned,
// checksummed, written atomically) holding what a resumed fit needs to end with the model an
// uninterrupted one would have, bit for bit:
//
//   checkpoint.version   int64, kCheckpointVersion
//   fit.<setting>        the fit's settings (mdn::fit_settings) as canonical text
//   data.file            the name of the data, for messages
//   data.rows            int64, and data.fingerprint, int64: FNV-1a 64 of the data's values, so
//                        that a resume on other data is refused
//   train.member<m>.*    mdn::train's state of network m of the ensemble (those that have saved
//                        one): the model, Adam's moments and step count, the epochs done, the
//                        early-stopping state with the best parameters, the history
//
// The standardisation and the validation split are recomputed from the data and the seed.
// Text is stored as an int64 tensor of its bytes (mdn/model_file.hpp).
#include "autograd/tensor.hpp"
#include "nn/state.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tapegrad::mdn {

inline constexpr std::int64_t kCheckpointVersion = 2; // 2: one state per network

struct FitCheckpoint {
  std::vector<std::pair<std::string, std::string>> settings; // name, canonical value
  std::string data_file;                                     // for messages
  std::int64_t rows = 0;
  std::uint64_t fingerprint = 0;
  nn::StateDict train; // mdn::train's state
  std::string path;    // where it was read from (or written to), for messages

  // The stored value of a setting, or an Error naming the file.
  const std::string& setting(const std::string& name) const;
};

void save_fit_checkpoint(const std::filesystem::path& path, const FitCheckpoint& checkpoint);
// Throws naming the file when it is not a fit checkpoint of a version this build reads.
FitCheckpoint load_fit_checkpoint(const std::filesystem::path& path);
// The same from the bytes of a checkpoint file; `source` names them in messages.
FitCheckpoint fit_checkpoint_from_bytes(std::span<const unsigned char> bytes,
                                        const std::string& source);

// FNV-1a 64 over the bits of every value of x and then y, each as a double, row after row.
std::uint64_t data_fingerprint(const Tensor& x, const Tensor& y);

} // namespace tapegrad::mdn

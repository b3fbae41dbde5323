#pragma once
// The checkpoint of `mdn fit`: one nn state file (nn/serialize.hpp: versioned, checksummed,
// written atomically) holding what a resumed run needs to end with the model an uninterrupted
// run would have written, bit for bit: the fit's flags under "fit." (as canonical text), the
// data's file name, row count and fingerprint under "data." (so that a resume on other data is
// refused), and mdn::train's state under "train." (model, Adam's moments and step count, the
// epochs done, the early-stopping state with the best parameters, the history). The
// standardisation and the validation split are recomputed from the data and the seed.
#include <autograd/tensor.hpp>
#include <nn/state.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tapegrad::examples {

inline constexpr std::int64_t kCheckpointVersion = 1;

struct FitCheckpoint {
  std::vector<std::pair<std::string, std::string>> flags; // flag name, canonical value
  std::string data_file;                                  // for messages
  std::int64_t rows = 0;
  std::uint64_t fingerprint = 0; // of the values of the chosen columns
  nn::StateDict train;           // mdn::train's state

  // The stored value of a flag, or an error naming the file.
  const std::string& flag(const std::string& name, const std::string& path) const;
};

void save_fit_checkpoint(const std::string& path, const FitCheckpoint& checkpoint);
// Throws naming the file when it is not an `mdn fit` checkpoint of a version this build reads.
FitCheckpoint load_fit_checkpoint(const std::string& path);

// FNV-1a 64 of the bits of the values, column after column.
std::uint64_t data_fingerprint(const std::vector<const std::vector<double>*>& columns);

} // namespace tapegrad::examples

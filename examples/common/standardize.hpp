#pragma once
// Per-column standardisation, z = (v - mean) / std: networks train well on numbers near unit
// scale, whatever the units of the data. The statistics are kept (and saved with a model) so that
// predictions go back to the original units.
#include <mdn/mixture.hpp>

#include <vector>

namespace tapegrad::examples {

struct Standardizer {
  std::vector<double> mean, std; // one per column

  static Standardizer fit(const Tensor& data); // data [N, C]; a constant column gets std 1
  Tensor apply(const Tensor& data) const;      // (data - mean) / std
  Tensor invert(const Tensor& data) const;     // data * std + mean

  // A mixture fitted to standardised targets, in the targets' own units: means mu * std + mean,
  // scales L -> diag(std) L. Isotropic and fixed scales become diagonal when the columns' std
  // differ. Log-densities shift by -sum log std, so NLLs come out in the original units.
  mdn::Mixture unstandardize(const mdn::Mixture& mixture) const;
};

} // namespace tapegrad::examples

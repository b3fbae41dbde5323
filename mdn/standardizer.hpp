#pragma once
// Per-column standardisation, z = (v - mean) / std, and its inverse. Networks train well on numbers
// near unit scale whatever the units of the data; the statistics are kept (and saved with a model)
// so that predictions go back to the data's units.
//
// A mixture fitted to standardised targets maps back exactly: with y = std * z + mean per column
// (S = diag(std)),
//
//   mu_k -> S mu_k + mean,   L_k -> S L_k   (scales, or Cholesky factors, of Sigma_k -> S Sigma_k
//   S) log p(y | x) = log p_z(z | x) - sum_d log std_d
//
// so every density, sample, quantile and NLL of the mapped mixture is in the data's units.
#include "mdn/mixture.hpp"

#include <vector>

namespace tapegrad::mdn {

struct Standardizer {
  std::vector<double> mean, std; // one per column

  // data [N, C]. The mean and the population standard deviation of each column; a constant
  // column (std below 1e-12 of its size) gets std 1, as scikit-learn's StandardScaler does.
  static Standardizer fit(const Tensor& data);
  Tensor apply(const Tensor& data) const;  // (data - mean) / std, off the tape
  Tensor invert(const Tensor& data) const; // data * std + mean, off the tape

  // sum_d log std_d: what a log-density loses when it moves from standardised to data units.
  double log_scale_sum() const;

  // A mixture of standardised targets in the targets' own units, as above. Isotropic and fixed
  // scales become diagonal when the columns' std differ.
  Mixture unstandardize(const Mixture& mixture) const;
};

} // namespace tapegrad::mdn

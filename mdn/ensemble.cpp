#include "mdn/ensemble.hpp"

#include "autograd/ops.hpp"

#include <cmath>

namespace tapegrad::mdn {

Mixture ensemble_mixture(const std::vector<Mixture>& members) {
  if (members.empty())
    fail("ensemble_mixture: expected at least one member's mixture");
  if (members.size() == 1)
    return members.front();
  const Mixture& first = members.front();
  std::vector<Tensor> log_pi, mean, scale;
  const double log_share = -std::log(static_cast<double>(members.size()));
  for (const Mixture& m : members) {
    if (m.noise != first.noise || m.batch_size() != first.batch_size() || m.dim() != first.dim())
      fail("ensemble_mixture: members of {} rows, dimension {} and noise model {} beside {} rows, "
           "dimension {} and noise model {}; expected mixtures of the same rows and model",
           m.batch_size(), m.dim(), noise_model_name(m.noise), first.batch_size(), first.dim(),
           noise_model_name(first.noise));
    log_pi.push_back(m.log_pi + log_share);
    mean.push_back(m.mean);
    scale.push_back(m.scale);
  }
  return Mixture(first.noise, cat(log_pi, 1), cat(mean, 1), cat(scale, 1));
}

} // namespace tapegrad::mdn

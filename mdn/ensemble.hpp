#pragma once
// An ensemble of M networks (mdn::fit with FitOptions::ensemble = M) predicts the average of
// their densities, p(y | x) = (1/M) sum_m p_m(y | x). With each p_m a mixture of K Gaussians
// with weights pi_mk, the average is again a mixture: of all M K components, with weights
// pi_mk / M (log pi_mk - log M). So an ensemble predicts, samples, and scores (CDF, quantiles,
// CRPS, NLL) through the same Mixture as one network, and no other code knows it is one.
#include "mdn/mixture.hpp"

#include <vector>

namespace tapegrad::mdn {

// The most networks an ensemble may have (a model file claiming more is refused as corrupt).
inline constexpr std::int64_t kMaxEnsemble = 1024;

// The members' mixtures of the same rows (same batch, dimension and noise model) as one mixture
// of their components, member after member. One member is returned as it is.
Mixture ensemble_mixture(const std::vector<Mixture>& members);

} // namespace tapegrad::mdn

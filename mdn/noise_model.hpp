#pragma once
// How a mixture component's covariance is parameterised (the seed implementation's noise models,
// plus the full covariance it left out).
#include <string_view>

namespace tapegrad::mdn {

enum class NoiseModel {
  Full,      // Sigma_k = L_k L_k^T, L_k lower-triangular with a positive diagonal (scale_tril)
  Diagonal,  // Sigma_k = diag(sigma_k1^2, ..., sigma_kD^2)
  Isotropic, // Sigma_k = sigma_k^2 I, one scale per component
  Fixed,     // Sigma_k = s^2 I with s given by the user, not learned
};

std::string_view noise_model_name(NoiseModel noise);
// "full", "diagonal", "isotropic" or "fixed"; anything else throws naming the choices.
NoiseModel parse_noise_model(std::string_view name);

} // namespace tapegrad::mdn

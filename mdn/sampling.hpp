#pragma once
// Drawing from a mixture, with the temperatures of the temperature-sampling post:
//   a component k ~ softmax(log_pi / tau)                  (tau: temperature on the weights)
//   y = mu_k + sqrt(tau_sigma) L_k eps,  eps ~ N(0, I)      (tau_sigma: temperature on the scales)
// Both at 1 sample the model itself; as both go to 0 every sample approaches the mean of the most
// probable component (at exactly 0, tau picks that component and tau_sigma gives its mean).
#include "autograd/generator.hpp"
#include "mdn/mixture.hpp"

namespace tapegrad::mdn {

struct SampleOptions {
  double temperature = 1.0;       // tau >= 0
  double sigma_temperature = 1.0; // tau_sigma >= 0
};

// n samples per row: [B, n, D], in the mixture's dtype. Takes one number from `generator` and
// draws each block of rows from a stream derived from it, so the same generator state gives the
// same samples for any number of threads.
Tensor sample(const Mixture& mixture, std::int64_t n, Generator& generator,
              const SampleOptions& options = {});

} // namespace tapegrad::mdn

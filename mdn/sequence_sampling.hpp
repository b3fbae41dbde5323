#pragma once
// Generating sequences from an autoregressive recurrent MDN (x_t = (y_{t-1}, e_{t-1}), zero at the
// start: mdn::autoregressive_sequences), one step at a time as Graves (2013) does: the state is
// primed with the observed steps, then at every step the mixture of the next step is drawn from
// (mdn::sample, with its temperatures) and the draw is fed back as the next input.
//
//   tau (temperature)          softens (> 1) or sharpens (< 1) the choice of component, and divides
//                              the end-of-stroke logit: e ~ Bernoulli(sigmoid(l / tau))
//   tau_sigma                  widens or narrows each Gaussian: y = mu_k + sqrt(tau_sigma) L_k eps
//
// At tau = tau_sigma = 1 the draws come from the model; at 0 every step is the mean of its most
// probable component and e = [l > 0]. The same generator state gives the same bits on any number
// of threads.
#include "mdn/sampling.hpp"
#include "mdn/sequence_data.hpp"
#include "mdn/sequence_model.hpp"

namespace tapegrad::mdn {

struct SequenceSample {
  Tensor y;   // [batch, steps, D]
  Tensor eos; // [batch, steps] of 0 and 1; undefined for a model without end-of-stroke bits
};

// Continues each sequence of `prefix` (autoregressive inputs, as autoregressive_sequences makes
// them) by `steps` drawn steps, after its own last observed step.
SequenceSample continue_sequences(const SequenceMDN& model, const SequenceData& prefix,
                                  std::int64_t steps, Generator& generator,
                                  const SampleOptions& options = {});
// `count` new sequences of `steps` steps each, from the zero state and the zero first input.
SequenceSample sample_sequences(const SequenceMDN& model, std::int64_t count, std::int64_t steps,
                                Generator& generator, const SampleOptions& options = {});

} // namespace tapegrad::mdn

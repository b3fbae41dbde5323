#include "mdn/sequence_sampling.hpp"

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

#include <cmath>

namespace tapegrad::mdn {

namespace {

void check_generation(const SequenceMDN& model, std::int64_t steps, const SampleOptions& options) {
  const SequenceMDNOptions& o = model.options();
  if (o.in_features != o.out_dim + (o.end_of_stroke ? 1 : 0))
    fail("sample_sequences: the model takes {} inputs per step but draws {}{}; generation feeds "
         "each draw back as the next input, so it needs an autoregressive model (in_features = "
         "out_dim{})",
         o.in_features, o.out_dim, o.end_of_stroke ? " and an end-of-stroke bit" : "",
         o.end_of_stroke ? " + 1" : "");
  if (steps < 1)
    fail("sample_sequences: expected at least one step to draw, got {}", steps);
  if (!(options.temperature >= 0) || !std::isfinite(options.temperature))
    fail("sample_sequences: the temperature must be a finite number >= 0, got {}",
         options.temperature);
}

// Draws `steps` steps from `state` and the first input `x` [batch, 1, in].
SequenceSample generate(const SequenceMDN& model, Tensor x, nn::RecurrentState state,
                        std::int64_t steps, Generator& generator, const SampleOptions& options) {
  const std::int64_t batch = x.size(0), d = model.options().out_dim;
  const bool eos = model.options().end_of_stroke;
  std::vector<Tensor> drawn, bits;
  for (std::int64_t t = 0; t < steps; ++t) {
    const SequenceOutput out = model.mixtures(x, state);
    state = out.state;
    const Tensor y = sample(out.mixture, 1, generator, options).reshape({batch, 1, d});
    drawn.push_back(y);
    x = y;
    if (!eos)
      continue;
    // e ~ Bernoulli(sigmoid(l / tau)), one uniform per row in order; at tau = 0, e = [l > 0].
    const std::vector<double> logit = out.eos_logit.to_vector<double>();
    std::vector<double> e(logit.size());
    for (std::size_t b = 0; b < e.size(); ++b) {
      const double u = generator.uniform();
      e[b] = options.temperature == 0
                 ? (logit[b] > 0 ? 1.0 : 0.0)
                 : (u < 1.0 / (1.0 + std::exp(-logit[b] / options.temperature)) ? 1.0 : 0.0);
    }
    const Tensor bit = from_vector(e, {batch, 1, 1}, y.dtype());
    bits.push_back(bit.reshape({batch, 1}));
    x = cat({y, bit}, 2);
  }
  return {cat(drawn, 1), eos ? cat(bits, 1) : Tensor()};
}

} // namespace

SequenceSample continue_sequences(const SequenceMDN& model, const SequenceData& prefix,
                                  std::int64_t steps, Generator& generator,
                                  const SampleOptions& options) {
  check_generation(model, steps, options);
  if (prefix.size() == 0 || prefix.x.size(2) != model.options().in_features ||
      prefix.eos.defined() != model.options().end_of_stroke)
    fail("continue_sequences: the prefix has {} sequences of inputs {}{}, expected autoregressive "
         "inputs of {} features per step{}",
         prefix.size(), prefix.x.defined() ? fmt::format("{}", prefix.x.shape()) : "none",
         prefix.eos.defined() ? " with end-of-stroke bits" : "", model.options().in_features,
         model.options().end_of_stroke ? " with end-of-stroke bits" : "");
  NoGradGuard no_grad;
  // The state after each sequence's last observed input (padding carries it to the end)...
  const SequenceOutput primed = model.mixtures(prefix.x, {}, prefix.mask);
  // ...whose next input is that sequence's last observed step.
  std::vector<Tensor> last;
  for (std::int64_t b = 0; b < prefix.size(); ++b) {
    const std::int64_t t = prefix.lengths[static_cast<std::size_t>(b)] - 1;
    Tensor step = prefix.y.slice(0, b, b + 1).slice(1, t, t + 1);
    if (prefix.eos.defined())
      step = cat({step, prefix.eos.slice(0, b, b + 1).slice(1, t, t + 1).unsqueeze(2)}, 2);
    last.push_back(step);
  }
  return generate(model, cat(last, 0), primed.state, steps, generator, options);
}

SequenceSample sample_sequences(const SequenceMDN& model, std::int64_t count, std::int64_t steps,
                                Generator& generator, const SampleOptions& options) {
  check_generation(model, steps, options);
  if (count < 1)
    fail("sample_sequences: expected at least one sequence to draw, got {}", count);
  NoGradGuard no_grad;
  const DType dtype = model.head().parameters().front().dtype();
  return generate(model, zeros({count, 1, model.options().in_features}, dtype), {}, steps,
                  generator, options);
}

} // namespace tapegrad::mdn

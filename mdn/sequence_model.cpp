#include "mdn/sequence_model.hpp"

#include "autograd/ops.hpp"
#include "nn/gru.hpp"
#include "nn/lstm.hpp"

namespace tapegrad::mdn {

std::string_view rnn_kind_name(RnnKind kind) {
  return kind == RnnKind::GRU ? "gru" : "lstm";
}

RnnKind parse_rnn_kind(std::string_view name) {
  if (name == "gru")
    return RnnKind::GRU;
  if (name == "lstm")
    return RnnKind::LSTM;
  fail("unknown recurrent layer '{}': expected gru or lstm", name);
}

SequenceMDN::SequenceMDN(const SequenceMDNOptions& options, Generator& gen, DType dtype)
    : Module("SequenceMDN"), options_(options) {
  if (options.in_features <= 0)
    fail("SequenceMDN: in_features must be positive, got {}", options.in_features);
  const nn::RecurrentOptions rnn{options.in_features, options.hidden, options.layers};
  if (options.rnn == RnnKind::GRU)
    rnn_ = register_module("rnn", std::make_shared<nn::GRU>(rnn, gen, dtype));
  else
    rnn_ = register_module("rnn", std::make_shared<nn::LSTM>(rnn, gen, dtype));
  head_ = register_module("head",
                          std::make_shared<MixtureDensityHead>(
                              HeadOptions{options.hidden, options.out_dim, options.components,
                                          options.noise, options.fixed_scale, options.min_scale},
                              gen, dtype));
  if (options.end_of_stroke)
    end_of_stroke_ = register_module("end_of_stroke",
                                     std::make_shared<nn::Linear>(options.hidden, 1, gen, dtype));
}

SequenceOutput SequenceMDN::mixtures(const Tensor& x, const nn::RecurrentState& initial,
                                     const Tensor& mask) const {
  if (x.dim() != 3 || x.size(2) != options_.in_features)
    fail("SequenceMDN: inputs have shape {}, expected [batch, time, {}]", x.shape(),
         options_.in_features);
  const nn::RecurrentOutput out = rnn_->forward(x, initial, mask);
  const std::int64_t batch = x.size(0), time = x.size(1);
  // Every step of every sequence is one row for the head: [batch * time, hidden].
  const Tensor features = out.output.reshape({batch * time, options_.hidden});
  SequenceOutput result{batch, time, head_->mixture(features), Tensor(), out.state};
  if (end_of_stroke_)
    result.eos_logit = end_of_stroke_->forward(features).reshape({batch, time});
  return result;
}

std::string SequenceMDN::extra_repr() const {
  return fmt::format("rnn={}, end_of_stroke={}", rnn_kind_name(options_.rnn),
                     options_.end_of_stroke);
}

Tensor step_log_prob(const SequenceOutput& out, const Tensor& y, const Tensor& eos) {
  const std::int64_t d = out.mixture.dim();
  if (!(y.shape() == Shape{out.batch, out.time, d}))
    fail("SequenceMDN: targets have shape {}, expected [{}, {}, {}] (batch, time, out_dim)",
         y.shape(), out.batch, out.time, d);
  Tensor log_p =
      out.mixture.log_prob(y.reshape({out.batch * out.time, d})).reshape({out.batch, out.time});
  if (out.eos_logit.defined() != eos.defined())
    fail("SequenceMDN: {}",
         out.eos_logit.defined()
             ? "the model has an end-of-stroke output, but no end-of-stroke "
               "targets were given"
             : "end-of-stroke targets were given to a model without that output");
  if (!eos.defined())
    return log_p;
  if (!(eos.shape() == Shape{out.batch, out.time}) || eos.dtype() != y.dtype())
    fail("SequenceMDN: end-of-stroke targets have shape {} ({}), expected [{}, {}] of {}",
         eos.shape(), eos.dtype(), out.batch, out.time, y.dtype());
  // log Bernoulli(e | sigmoid(l)) = e l - softplus(l): finite for any logit.
  return log_p + eos * out.eos_logit - softplus(out.eos_logit);
}

Tensor sequence_nll(const SequenceOutput& out, const Tensor& y, const Tensor& eos,
                    const Tensor& mask) {
  const Tensor log_p = step_log_prob(out, y, eos);
  if (!mask.defined())
    return -log_p.mean();
  if (!(mask.shape() == Shape{out.batch, out.time}))
    fail("SequenceMDN: the mask has shape {}, expected [{}, {}] (batch, time)", mask.shape(),
         out.batch, out.time);
  const Tensor m = mask.to(y.dtype()).detach();
  const double steps = m.sum().item<double>();
  if (!(steps > 0))
    fail("SequenceMDN: the mask marks no real step, so there is no likelihood to average");
  return -(log_p * m).sum() / steps;
}

} // namespace tapegrad::mdn

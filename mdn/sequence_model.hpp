#pragma once
// SequenceMDN: a recurrent MDN (Graves 2013, "Generating sequences with recurrent neural
// networks"): a GRU or LSTM reads the inputs x_1, x_2, ... and after every step t a mixture
// density head turns its state h_t into p(y_t | x_1..x_t), with every noise model of the
// feed-forward head (full covariance included: Graves's bivariate Gaussian with correlation is the
// full model with D = 2, see mdn/bivariate.hpp), plus, optionally, the probability of an
// end-of-stroke bit e_t, a Bernoulli with logit l_t = w^T h_t + b:
//
//   log p(y_t, e_t | x_<=t) = log sum_k pi_k N(y_t | mu_k, Sigma_k) + e_t l_t - softplus(l_t)
//
// (the second part is log sigmoid(l_t) when e_t = 1 and log(1 - sigmoid(l_t)) when e_t = 0).
// For generation the model is autoregressive: x_t is the previous step's (y_{t-1}, e_{t-1}), zero
// at the start (mdn/sequence_data.hpp builds such inputs, mdn/sequence_sampling.hpp draws from it).
//
//   mdn::SequenceMDN model({.in_features = 3, .out_dim = 2, .components = 20, .rnn = RnnKind::LSTM,
//                           .hidden = 128, .noise = NoiseModel::Full, .end_of_stroke = true}, gen);
//   mdn::SequenceOutput out = model.mixtures(x, {}, mask);    // x [batch, time, 3]
//   Tensor loss = mdn::sequence_nll(out, y, eos, mask);       // nats per real step
#include "mdn/head.hpp"
#include "nn/recurrent.hpp"

#include <memory>
#include <string_view>

namespace tapegrad::mdn {

enum class RnnKind { GRU, LSTM };
std::string_view rnn_kind_name(RnnKind kind);
// "gru" or "lstm"; anything else throws naming the choices.
RnnKind parse_rnn_kind(std::string_view name);

struct SequenceMDNOptions {
  std::int64_t in_features = 1; // per step
  std::int64_t out_dim = 1;     // D
  std::int64_t components = 5;  // K
  RnnKind rnn = RnnKind::GRU;
  std::int64_t hidden = 64;
  std::int64_t layers = 1;
  NoiseModel noise = NoiseModel::Diagonal;
  double fixed_scale = 1.0;
  double min_scale = 1e-3;
  bool end_of_stroke = false; // a Bernoulli output per step beside the mixture
};

struct SequenceOutput {
  std::int64_t batch = 0, time = 0;
  // batch * time mixtures, row b * time + t holding p(y_t | x_<=t) of sequence b.
  Mixture mixture;
  Tensor eos_logit;         // [batch, time] logits of the end-of-stroke bit; undefined without
  nn::RecurrentState state; // after the last step: the start of the next chunk or step
};

class SequenceMDN : public nn::Module {
public:
  SequenceMDN(const SequenceMDNOptions& options, Generator& gen, DType dtype = kFloat32);

  // The mixture of every step, p(y_t | x_<=t) (the module's forward pass; not `forward`, whose
  // one-tensor form Module declares). x [batch, time, in_features]; initial: undefined (zeros) or
  // a previous output's state; mask: undefined or [batch, time] of 0 and 1 (see nn/recurrent.hpp
  // on padding).
  SequenceOutput mixtures(const Tensor& x, const nn::RecurrentState& initial = {},
                          const Tensor& mask = Tensor()) const;

  const SequenceMDNOptions& options() const { return options_; }
  nn::Recurrent& rnn() const { return *rnn_; }
  MixtureDensityHead& head() const { return *head_; }
  std::string extra_repr() const override;

private:
  SequenceMDNOptions options_;
  std::shared_ptr<nn::Recurrent> rnn_;
  std::shared_ptr<MixtureDensityHead> head_;
  std::shared_ptr<nn::Linear> end_of_stroke_; // only with options.end_of_stroke
};

// log p(y_t, e_t | x_<=t) of every step: [batch, time]. y [batch, time, D]; eos [batch, time] of 0
// and 1 when the model has the end-of-stroke output, otherwise undefined.
Tensor step_log_prob(const SequenceOutput& out, const Tensor& y, const Tensor& eos = Tensor());

// The mean negative log-likelihood per real step (mask 1), in nats: a scalar to call backward()
// on. Padded steps (mask 0) add nothing, to the value or the gradient; their targets must be
// finite (pad with zeros).
Tensor sequence_nll(const SequenceOutput& out, const Tensor& y, const Tensor& eos = Tensor(),
                    const Tensor& mask = Tensor());

} // namespace tapegrad::mdn

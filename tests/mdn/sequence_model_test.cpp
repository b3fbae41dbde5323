// SequenceMDN: the per-step log-likelihood is the head's mixture at each step's state plus the
// Bernoulli end-of-stroke term, padding adds nothing to the loss or its gradient, and the whole
// model passes gradcheck through several steps with every noise model.
#include "tests/support/autograd_helpers.hpp"

#include <mdn/sequence_model.hpp>
#include <nn/gradcheck.hpp>

#include <cmath>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::values_of;

namespace {

SequenceMDN make_model(RnnKind rnn, NoiseModel noise, bool eos, std::uint64_t seed) {
  Generator gen(seed);
  return SequenceMDN({.in_features = 3,
                      .out_dim = 2,
                      .components = 3,
                      .rnn = rnn,
                      .hidden = 4,
                      .layers = 2,
                      .noise = noise,
                      .end_of_stroke = eos},
                     gen, kFloat64);
}

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "each step's log-likelihood is its mixture's plus the end-of-stroke Bernoulli",
                 "[mdn][sequence]") {
  SequenceMDN model = make_model(RnnKind::LSTM, NoiseModel::Full, true, 1);
  Generator gen(2);
  const Tensor x = randn({2, 5, 3}, gen, kFloat64), y = randn({2, 5, 2}, gen, kFloat64);
  const Tensor eos = from_vector<double>({0, 0, 1, 0, 1, 1, 0, 0, 0, 1}, {2, 5});
  const SequenceOutput out = model.mixtures(x);
  CHECK(out.mixture.batch_size() == 10);
  const std::vector<double> got = values_of(step_log_prob(out, y, eos));
  const std::vector<double> mixture = values_of(out.mixture.log_prob(y.reshape({10, 2})));
  const std::vector<double> logit = values_of(out.eos_logit), e = values_of(eos);
  for (std::size_t i = 0; i < 10; ++i) {
    const double p = 1 / (1 + std::exp(-logit[i]));
    CHECK(got[i] == Approx(mixture[i] + std::log(e[i] == 1 ? p : 1 - p)).epsilon(1e-12));
  }
  // The head at step t reads the RNN's state after step t.
  const nn::RecurrentOutput rnn = model.rnn().forward(x, {});
  const Mixture direct = model.head().mixture(rnn.output.reshape({10, 4}));
  CHECK(values_of(direct.mean) == values_of(out.mixture.mean));
}

TEST_CASE_METHOD(FreshTape, "padded steps add nothing to the NLL or its gradient",
                 "[mdn][sequence]") {
  SequenceMDN model = make_model(RnnKind::GRU, NoiseModel::Diagonal, true, 3);
  Generator gen(4);
  const Tensor x = randn({2, 4, 3}, gen, kFloat64);
  const std::vector<double> targets = values_of(randn({2, 4, 2}, gen, kFloat64));
  const Tensor mask = nn::mask_from_lengths({4, 2}, 4, kFloat64);
  const Tensor eos = from_vector<double>({0, 1, 0, 1, 0, 1, 0, 0}, {2, 4});
  std::vector<std::vector<double>> grads;
  std::vector<double> values;
  for (double padding : {0.0, 1e3}) { // the targets after sequence 1's end differ
    std::vector<double> y = targets;
    for (std::size_t i = 12; i < 16; ++i)
      y[i] = padding;
    model.zero_grad();
    const Tensor loss =
        sequence_nll(model.mixtures(x, {}, mask), from_vector(y, {2, 4, 2}), eos, mask);
    values.push_back(loss.item<double>());
    loss.backward();
    grads.push_back({});
    for (const Tensor& p : model.parameters()) {
      const std::vector<double> g = values_of(p.grad());
      grads.back().insert(grads.back().end(), g.begin(), g.end());
    }
    clear_tape();
  }
  CHECK(values[0] == values[1]);
  CHECK(grads[0] == grads[1]);
  // The mean is over the 6 real steps: 4 of sequence 0, then 2 of sequence 1.
  const Tensor y = from_vector(targets, {2, 4, 2});
  const std::vector<double> lp = values_of(step_log_prob(model.mixtures(x, {}, mask), y, eos));
  const double real = -(lp[0] + lp[1] + lp[2] + lp[3] + lp[4] + lp[5]) / 6;
  CHECK(sequence_nll(model.mixtures(x, {}, mask), y, eos, mask).item<double>() ==
        Approx(real).epsilon(1e-12));
}

TEST_CASE_METHOD(FreshTape,
                 "SequenceMDN's NLL passes gradcheck through 3 steps, with padding, for every "
                 "noise model and both layers",
                 "[mdn][sequence][gradcheck]") {
  for (RnnKind rnn : {RnnKind::GRU, RnnKind::LSTM})
    for (NoiseModel noise :
         {NoiseModel::Full, NoiseModel::Diagonal, NoiseModel::Isotropic, NoiseModel::Fixed}) {
      INFO(rnn_kind_name(rnn) << ", " << noise_model_name(noise));
      SequenceMDN model = make_model(rnn, noise, noise == NoiseModel::Full, 5);
      Generator gen(6);
      const Tensor x = randn({2, 3, 3}, gen, kFloat64).requires_grad_();
      const Tensor y = randn({2, 3, 2}, gen, kFloat64);
      const Tensor mask = nn::mask_from_lengths({3, 2}, 3, kFloat64);
      const Tensor eos =
          noise == NoiseModel::Full ? from_vector<double>({0, 1, 1, 0, 1, 0}, {2, 3}) : Tensor();
      const GradcheckResult result =
          nn::gradcheck_module(model, {x}, [&](nn::Module& m, const std::vector<Tensor>& in) {
            const auto& sequence = static_cast<const SequenceMDN&>(m);
            return sequence_nll(sequence.mixtures(in[0], {}, mask), y, eos, mask);
          });
      INFO(result.message);
      CHECK(result.passed);
    }
}

TEST_CASE_METHOD(FreshTape, "SequenceMDN names what does not fit", "[mdn][sequence]") {
  SequenceMDN model = make_model(RnnKind::GRU, NoiseModel::Diagonal, false, 7);
  const Tensor x = zeros({2, 3, 3}, kFloat64);
  CHECK_THAT(error_of([&] {
               model.mixtures(zeros({2, 3, 2}, kFloat64));
             }),
             Contains("SequenceMDN: inputs have shape [2, 3, 2], expected [batch, time, 3]"));
  CHECK_THAT(error_of([&] {
               step_log_prob(model.mixtures(x), zeros({2, 3, 1}, kFloat64));
             }),
             Contains("targets have shape [2, 3, 1], expected [2, 3, 2] (batch, time, out_dim)"));
  CHECK_THAT(error_of([&] {
               step_log_prob(model.mixtures(x), zeros({2, 3, 2}, kFloat64), zeros({2, 3}));
             }),
             Contains("end-of-stroke targets were given to a model without that output"));
  CHECK_THAT(error_of([&] {
               sequence_nll(model.mixtures(x), zeros({2, 3, 2}, kFloat64), Tensor(),
                            zeros({2, 3}, kFloat64));
             }),
             Contains("the mask marks no real step"));
  CHECK_THAT(error_of([] { parse_rnn_kind("rnn"); }),
             Contains("unknown recurrent layer 'rnn': expected gru or lstm"));
}

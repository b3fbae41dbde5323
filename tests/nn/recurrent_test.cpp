// nn::GRU and nn::LSTM: torch's numbers on fixed weights, float64 gradchecks through several steps
// with a mask and carried state, padding as separate sequences, truncated BPTT's chunks as one
// pass, torch's parameter names and initialisation, the cell modules, and the errors.
#include "nn/gradcheck.hpp"
#include "nn/gru.hpp"
#include "nn/gru_cell.hpp"
#include "nn/lstm.hpp"
#include "nn/lstm_cell.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <omp.h>

#include <cmath>
#include <memory>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_close;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::values_of;

namespace {

constexpr std::int64_t B = 2, T = 4, I = 2, H = 3, L = 2;

// The parameters of the torch reference (the script is in the comment above the first test):
// parameter p (in named_parameters order), element i, is 0.3 sin(0.7 i + p).
void fill_like_reference(nn::Module& module) {
  NoGradGuard no_grad;
  std::int64_t p = 0;
  for (auto& [name, t] : module.named_parameters()) {
    std::vector<double> v(static_cast<std::size_t>(t.numel()));
    for (std::size_t i = 0; i < v.size(); ++i)
      v[i] = 0.3 * std::sin(0.7 * static_cast<double>(i) + static_cast<double>(p));
    std::copy(v.begin(), v.end(), t.data_ptr<double>());
    ++p;
  }
}

Tensor reference_input() {
  std::vector<double> x;
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int f = 0; f < I; ++f)
        x.push_back(0.8 * std::cos(b + 2 * t + 3 * f));
  return from_vector(x, {B, T, I}, kFloat64);
}

Tensor reference_state(bool cell) {
  std::vector<double> s;
  for (int l = 0; l < L; ++l)
    for (int b = 0; b < B; ++b)
      for (int j = 0; j < H; ++j)
        s.push_back(cell ? 0.4 * std::cos(l + 2 * b + 3 * j) : 0.5 * std::sin(l + 2 * b + 3 * j));
  return from_vector(s, {L, B, H}, kFloat64);
}

std::unique_ptr<nn::Recurrent> make(bool lstm, const nn::RecurrentOptions& options,
                                    std::uint64_t seed, DType dtype = kFloat64) {
  Generator gen(seed);
  if (lstm)
    return std::make_unique<nn::LSTM>(options, gen, dtype);
  return std::make_unique<nn::GRU>(options, gen, dtype);
}

nn::RecurrentState random_state(bool lstm, std::int64_t layers, std::int64_t batch,
                                std::int64_t hidden, std::uint64_t seed) {
  Generator gen(seed);
  nn::RecurrentState s{randn({layers, batch, hidden}, gen, kFloat64) * 0.5, Tensor()};
  if (lstm)
    s.c = randn({layers, batch, hidden}, gen, kFloat64) * 0.5;
  return s;
}

} // namespace

// The reference numbers come from this script (torch 1.13, float64):
//   m = torch.nn.GRU(2, 3, num_layers=2, batch_first=True)   # or LSTM
//   parameter p, element i = 0.3 sin(0.7 i + p); x[b, t, f] = 0.8 cos(b + 2t + 3f);
//   h0[l, b, j] = 0.5 sin(l + 2b + 3j); c0[l, b, j] = 0.4 cos(l + 2b + 3j)
TEST_CASE_METHOD(FreshTape, "GRU gives torch.nn.GRU's outputs and final state", "[nn][recurrent]") {
  auto gru = make(false, {.input_size = I, .hidden_size = H, .num_layers = L}, 1);
  fill_like_reference(*gru);
  const nn::RecurrentOutput out = gru->forward(reference_input(), {reference_state(false), {}});
  check_close(out.output,
              {0.0160768308806776, -0.343340786573166,  0.0510963780247601,  -0.192016757153551,
               -0.342491131579426, -0.0604309346512182, -0.296331398511688,  -0.355751924285073,
               -0.110420168387176, -0.368325608258586,  -0.36925108290398,   -0.105982441233815,
               -0.176950203149567, -0.204393708948114,  -0.0165820252311817, -0.293916820972387,
               -0.267692583140464, -0.106707254663609,  -0.362733413539463,  -0.317465731719883,
               -0.121633296154113, -0.40847365198302,   -0.3486380643811,    -0.111076346126597},
              1e-13);
  check_close(out.state.h,
              {0.252426240301406, 0.29617176308919, 0.297072744800705, 0.276542802226194,
               0.29385105824058, 0.328163750724126, -0.368325608258586, -0.36925108290398,
               -0.105982441233815, -0.40847365198302, -0.3486380643811, -0.111076346126597},
              1e-13);
  CHECK(!out.state.c.defined());
}

TEST_CASE_METHOD(FreshTape, "LSTM gives torch.nn.LSTM's outputs and final state",
                 "[nn][recurrent]") {
  auto lstm = make(true, {.input_size = I, .hidden_size = H, .num_layers = L}, 1);
  fill_like_reference(*lstm);
  const nn::RecurrentOutput out =
      lstm->forward(reference_input(), {reference_state(false), reference_state(true)});
  check_close(out.output,
              {-0.0777551548439061, -0.222433517338532,  0.00323318307433955, -0.17495226470627,
               -0.261699036381961,  -0.0635657243714389, -0.225542984759143,  -0.284672430220421,
               -0.0872163774921556, -0.251928930066009,  -0.297117565745603,  -0.0910352343469076,
               -0.235149695128567,  -0.0272976318231087, -0.184625105893821,  -0.260139196126889,
               -0.179611043620916,  -0.150784055622824,  -0.272281270811761,  -0.248925854103033,
               -0.124529684154845,  -0.278878240621469,  -0.280708046606383,  -0.10755844755801},
              1e-13);
  check_close(out.state.h,
              {0.181781369734543, 0.149346999631993, 0.12995950442341, 0.175632268086114,
               0.152983918865202, 0.125051690636829, -0.251928930066009, -0.297117565745603,
               -0.0910352343469076, -0.278878240621469, -0.280708046606383, -0.10755844755801},
              1e-13);
  check_close(out.state.c,
              {0.332974731899082, 0.317229363628365, 0.306542602633542, 0.318813578095163,
               0.332577922494222, 0.298104023453211, -0.520439840657777, -0.566549517346864,
               -0.139782896812983, -0.586450334241486, -0.531290910079359, -0.165476379338983},
              1e-13);
}

TEST_CASE_METHOD(FreshTape,
                 "GRU and LSTM pass gradcheck over 4 steps and 2 layers with a mask and a carried "
                 "initial state",
                 "[nn][recurrent][gradcheck]") {
  for (bool lstm : {false, true}) {
    INFO((lstm ? "LSTM" : "GRU"));
    auto layer = make(lstm, {.input_size = 2, .hidden_size = 3, .num_layers = 2}, 3);
    Generator gen(4);
    const Tensor x = randn({3, 4, 2}, gen, kFloat64).requires_grad_();
    // Sequence 0 runs 4 steps, sequence 1 is padded after 2, sequence 2 after 3.
    const Tensor mask = nn::mask_from_lengths({4, 2, 3}, 4, kFloat64);
    const nn::RecurrentState carried = random_state(lstm, 2, 3, 3, 5);
    const Tensor h0 = carried.h.detach().requires_grad_();
    const Tensor c0 = lstm ? carried.c.detach().requires_grad_() : Tensor();
    const Tensor w_out = randn({3, 4, 3}, gen, kFloat64), w_h = randn({2, 3, 3}, gen, kFloat64),
                 w_c = randn({2, 3, 3}, gen, kFloat64);
    // The output at every step and the final state all reach the loss, with their own weights.
    const auto loss = [&](nn::Module& m, const std::vector<Tensor>& in) {
      const nn::RecurrentOutput out = static_cast<nn::Recurrent&>(m).forward(
          in[0], {in[1], in.size() > 2 ? in[2] : Tensor()}, mask);
      Tensor total = (out.output * w_out).sum() + (out.state.h * w_h).sum();
      if (out.state.c.defined())
        total = total + (out.state.c * w_c).sum();
      return total;
    };
    std::vector<Tensor> inputs{x, h0};
    if (lstm)
      inputs.push_back(c0);
    const GradcheckResult result = nn::gradcheck_module(*layer, inputs, loss);
    INFO(result.message);
    CHECK(result.passed);
  }
}

TEST_CASE_METHOD(FreshTape,
                 "the layer's weight gradients, summed over the steps at once, equal the composed "
                 "cells' step by step, also when only an early step reaches the loss",
                 "[nn][recurrent]") {
  for (bool lstm : {false, true})
    for (std::int64_t last : {1, 4}) { // the last step whose output reaches the loss
      INFO((lstm ? "LSTM" : "GRU") << ", loss up to step " << last);
      auto layer = make(lstm, {.input_size = 3, .hidden_size = 4, .num_layers = 2}, 21);
      Generator gen(22);
      const Tensor x = randn({2, 5, 3}, gen, kFloat64);
      const Tensor w = randn({2, last + 1, 4}, gen, kFloat64);
      const Tensor mask = nn::mask_from_lengths({5, 3}, 5, kFloat64);
      (layer->forward(x, {}, mask).output.slice(1, 0, last + 1) * w).sum().backward();
      std::vector<std::vector<double>> fused;
      for (const Tensor& p : layer->parameters())
        fused.push_back(values_of(p.grad()));
      clear_tape();
      layer->zero_grad();
      // The same layers op by op, one composed cell per step.
      std::vector<Tensor> inputs;
      for (std::int64_t t = 0; t < 5; ++t)
        inputs.push_back(x.slice(1, t, t + 1).reshape({2, 3}));
      for (const nn::Recurrent::Layer& l : layer->layers()) {
        Tensor state = zeros({2, (lstm ? 8 : 4)}, kFloat64);
        for (std::int64_t t = 0; t < 5; ++t) {
          const Tensor m = mask.slice(1, t, t + 1).reshape({2});
          auto& in = inputs[static_cast<std::size_t>(t)];
          state = lstm ? nn::lstm_cell_composed(in, state, l.weight_ih, l.weight_hh, l.bias_ih,
                                                l.bias_hh, m)
                       : nn::gru_cell_composed(in, state, l.weight_ih, l.weight_hh, l.bias_ih,
                                               l.bias_hh, m);
          in = lstm ? state.slice(1, 0, 4) : state;
        }
      }
      std::vector<Tensor> outputs(inputs.begin(), inputs.begin() + last + 1);
      for (Tensor& o : outputs)
        o = o.reshape({2, 1, 4});
      (cat(outputs, 1) * w).sum().backward();
      std::size_t i = 0;
      for (const Tensor& p : layer->parameters()) {
        INFO("parameter " << i);
        check_close(p.grad(), fused[i++], 1e-12);
      }
      clear_tape();
    }
}

TEST_CASE_METHOD(FreshTape,
                 "a padded batch gives each sequence the outputs and final state it has alone",
                 "[nn][recurrent]") {
  for (bool lstm : {false, true}) {
    INFO((lstm ? "LSTM" : "GRU"));
    auto layer = make(lstm, {.input_size = 2, .hidden_size = 5, .num_layers = 2}, 6);
    Generator gen(7);
    const std::vector<std::int64_t> lengths{5, 2, 4};
    const Tensor x = randn({3, 5, 2}, gen, kFloat64);
    const nn::RecurrentState initial = random_state(lstm, 2, 3, 5, 8);
    const nn::RecurrentOutput padded =
        layer->forward(x, initial, nn::mask_from_lengths(lengths, 5, kFloat64));
    for (std::int64_t b = 0; b < 3; ++b) {
      INFO("sequence " << b);
      const std::int64_t n = lengths[static_cast<std::size_t>(b)];
      const auto row = [b](const Tensor& t) { return t.slice(1, b, b + 1); };
      const nn::RecurrentOutput alone = layer->forward(
          x.slice(0, b, b + 1).slice(1, 0, n), {row(initial.h), lstm ? row(initial.c) : Tensor()});
      check_close(padded.output.slice(0, b, b + 1).slice(1, 0, n), values_of(alone.output), 1e-14);
      check_close(row(padded.state.h), values_of(alone.state.h), 1e-14);
      if (lstm)
        check_close(row(padded.state.c), values_of(alone.state.c), 1e-14);
    }
  }
}

TEST_CASE_METHOD(FreshTape,
                 "truncated BPTT: chunks carrying the detached state compute what one pass does",
                 "[nn][recurrent]") {
  for (bool lstm : {false, true}) {
    INFO((lstm ? "LSTM" : "GRU"));
    auto layer = make(lstm, {.input_size = 3, .hidden_size = 4, .num_layers = 2}, 9);
    Generator gen(10);
    const Tensor x = randn({2, 9, 3}, gen, kFloat64);
    const nn::RecurrentOutput whole = layer->forward(x, {});
    nn::RecurrentState state;
    std::vector<double> chunked;
    for (std::int64_t start = 0; start < 9; start += 4) {
      const nn::RecurrentOutput part = layer->forward(x.slice(1, start, start + 4), state);
      for (std::int64_t b = 0; b < 2; ++b) {
        const std::vector<double> v = values_of(part.output.slice(0, b, b + 1));
        chunked.insert(chunked.end(), v.begin(), v.end());
      }
      // The chunk's loss reaches its own steps' parameters only: the carried state is a constant.
      part.output.sum().backward();
      CHECK((!state.h.defined() || !state.h.requires_grad()));
      state = part.state.detach();
      clear_tape();
    }
    std::vector<double> expected; // the whole pass, reordered chunk by chunk as above
    for (std::int64_t start = 0; start < 9; start += 4)
      for (std::int64_t b = 0; b < 2; ++b) {
        const std::vector<double> v =
            values_of(whole.output.slice(0, b, b + 1).slice(1, start, start + 4));
        expected.insert(expected.end(), v.begin(), v.end());
      }
    REQUIRE(chunked.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
      CHECK(chunked[i] == Approx(expected[i]).epsilon(1e-14).margin(1e-15));
    check_close(state.h, values_of(whole.state.h), 1e-14);
  }
}

TEST_CASE_METHOD(FreshTape, "GRU and LSTM are named and initialised as torch's",
                 "[nn][recurrent]") {
  for (bool lstm : {false, true}) {
    auto layer = make(lstm, {.input_size = 7, .hidden_size = 16, .num_layers = 2}, 11, kFloat32);
    const std::int64_t g = (lstm ? 4 : 3) * 16;
    std::vector<std::string> names;
    for (const auto& [name, t] : layer->named_parameters()) {
      names.push_back(name);
      const std::vector<double> v = values_of(t);
      const double bound = 1.0 / std::sqrt(16.0);
      CHECK(std::all_of(v.begin(), v.end(), [&](double e) { return std::abs(e) <= bound; }));
      CHECK(*std::max_element(v.begin(), v.end()) > 0.8 * bound); // drawn over the whole range
    }
    CHECK(names == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                            "bias_hh_l0", "weight_ih_l1", "weight_hh_l1",
                                            "bias_ih_l1", "bias_hh_l1"});
    CHECK(layer->parameter_count() == g * 7 + g * 16 + 2 * g + g * 16 + g * 16 + 2 * g);
    CHECK(layer->to_string().find(std::string(lstm ? "LSTM" : "GRU") +
                                  "(input_size=7, hidden_size=16, num_layers=2)") !=
          std::string::npos);
  }
}

TEST_CASE_METHOD(FreshTape, "GRUCell and LSTMCell step as a one-step GRU and LSTM",
                 "[nn][recurrent]") {
  Generator gen(12), same(12);
  nn::GRUCell gru_cell(3, 4, gen, kFloat64);
  nn::GRU gru({.input_size = 3, .hidden_size = 4}, same, kFloat64);
  Generator data(13);
  const Tensor x = randn({2, 3}, data, kFloat64), h = randn({2, 4}, data, kFloat64);
  check_close(gru_cell.forward(x, h),
              values_of(gru.forward(x.reshape({2, 1, 3}), {h.reshape({1, 2, 4}), {}}).output),
              1e-15);
  const GradcheckResult cell_check = nn::gradcheck_module(gru_cell, x.detach().requires_grad_());
  INFO(cell_check.message);
  CHECK(cell_check.passed);

  Generator gen2(14), same2(14);
  nn::LSTMCell lstm_cell(3, 4, gen2, kFloat64);
  nn::LSTM lstm({.input_size = 3, .hidden_size = 4}, same2, kFloat64);
  const Tensor c = randn({2, 4}, data, kFloat64);
  const Tensor next = lstm_cell.forward(x, nn::lstm_state(h, c));
  const nn::RecurrentOutput out =
      lstm.forward(x.reshape({2, 1, 3}), {h.reshape({1, 2, 4}), c.reshape({1, 2, 4})});
  check_close(next.slice(1, 0, 4), values_of(out.state.h), 1e-15);
  check_close(next.slice(1, 4, 8), values_of(out.state.c), 1e-15);
}

TEST_CASE_METHOD(FreshTape, "the recurrent layers name what is wrong with their inputs",
                 "[nn][recurrent]") {
  auto gru = make(false, {.input_size = 2, .hidden_size = 3}, 15);
  auto lstm = make(true, {.input_size = 2, .hidden_size = 3}, 15);
  CHECK_THAT(error_of([&] {
               gru->forward(zeros({4, 2}, kFloat64), {});
             }),
             Contains("GRU: the input has shape [4, 2], expected [batch, time >= 1, 2]"));
  CHECK_THAT(error_of([&] {
               gru->forward(zeros({4, 5, 2}, kFloat64), {zeros({1, 3, 3}), {}});
             }),
             Contains("GRU: the initial h has shape [1, 3, 3], expected [1, 4, 3]"));
  CHECK_THAT(error_of([&] {
               lstm->forward(zeros({4, 5, 2}, kFloat64), {zeros({1, 4, 3}, kFloat64), {}});
             }),
             Contains("LSTM: an initial state needs both h and c, got h without c"));
  CHECK_THAT(error_of([&] {
               gru->forward(zeros({4, 5, 2}, kFloat64), {}, zeros({4, 6}));
             }),
             Contains("GRU: the mask has shape [4, 6], expected [4, 5] (batch, time)"));
  CHECK_THAT(error_of([] {
               nn::mask_from_lengths({3, 0}, 3);
             }),
             Contains("sequence 1 has length 0, expected 1 to 3"));
  Generator gen(1);
  CHECK_THAT(error_of([&] { nn::GRU({.input_size = 2, .hidden_size = 0}, gen); }),
             Contains("GRU: expected a positive input_size, hidden_size and num_layers"));
}

TEST_CASE_METHOD(FreshTape,
                 "a layer's outputs and gradients through time are the same bits on 1 and 2 "
                 "threads",
                 "[nn][recurrent]") {
  const int threads = omp_get_max_threads();
  for (bool lstm : {false, true}) {
    INFO((lstm ? "LSTM" : "GRU"));
    // Big enough that the products and the summed weight gradients run in parallel.
    auto layer = make(lstm, {.input_size = 16, .hidden_size = 64, .num_layers = 2}, 23, kFloat32);
    Generator gen(24);
    const Tensor x = randn({48, 10, 16}, gen);
    const Tensor mask = nn::mask_from_lengths(std::vector<std::int64_t>(48, 8), 10);
    std::vector<std::vector<double>> runs;
    for (int n : {1, 2}) {
      omp_set_num_threads(n);
      layer->zero_grad();
      const Tensor out = layer->forward(x, {}, mask).output;
      runs.push_back(values_of(out));
      out.square().sum().backward();
      for (const Tensor& p : layer->parameters()) {
        const std::vector<double> g = values_of(p.grad());
        runs.back().insert(runs.back().end(), g.begin(), g.end());
      }
      clear_tape();
    }
    omp_set_num_threads(threads);
    CHECK(runs[0] == runs[1]);
  }
}

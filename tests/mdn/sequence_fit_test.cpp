// The sequence workflow: fit_sequences in the data's units, the model file's round trip (same
// bytes, same NLL and draws), its checks on damaged files, and errors naming the data.
#include "tests/support/autograd_helpers.hpp"

#include <mdn/model_file.hpp>
#include <mdn/sequence_file.hpp>
#include <nn/serialize.hpp>

#include <cmath>
#include <numbers>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::values_of;

namespace {

// Sequences of a sine of random phase, in units of 100 around 500, and a second column that
// follows it: [T_i, 2].
std::vector<Tensor> sines(std::int64_t count, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<Tensor> out;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t n = 10 + static_cast<std::int64_t>(gen.below(6));
    const double phase = 2 * std::numbers::pi * gen.uniform();
    std::vector<double> v;
    for (std::int64_t t = 0; t < n; ++t) {
      const double s = std::sin(0.7 * static_cast<double>(t) + phase);
      v.insert(v.end(), {500 + 100 * s + 5 * gen.normal(), 3 * s});
    }
    out.push_back(from_vector(v, {n, 2}, kFloat32));
  }
  return out;
}

SequenceFitOptions small_options() {
  SequenceFitOptions o;
  o.model = {.components = 2, .hidden = 8};
  o.train = {.epochs = 15, .batch_size = 8, .bptt = 6, .lr = 0.02, .patience = 0};
  o.y_names = {"level", "sign"};
  o.sequence_name = "id";
  o.seed = 4;
  return o;
}

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "fit_sequences learns in the data's units, and its model file gives the same "
                 "model back",
                 "[mdn][sequence][fit]") {
  const std::vector<Tensor> train = sines(40, 1), test_set = sines(10, 2);
  const FittedSequenceModel fitted = fit_sequences(train, small_options());
  // The per-step NLL is in the data's units: standardised NLL + sum of log std.
  const std::vector<std::vector<double>> per_step = fitted.step_nll(test_set);
  REQUIRE(per_step.size() == 10);
  CHECK(per_step[3].size() == static_cast<std::size_t>(test_set[3].size(0)));
  const double nll = fitted.nll(test_set);
  const double standardised = evaluate_sequence_nll(*fitted.module, autoregressive_sequences([&] {
    std::vector<Tensor> z;
    for (const Tensor& s : test_set)
      z.push_back(fitted.y_scale.apply(s));
    return z;
  }()));
  CHECK(nll == Approx(standardised + fitted.y_scale.log_scale_sum()).epsilon(1e-6));
  // A model that learned the sine beats independent Gaussians of each column.
  const Tensor rows = cat(test_set, 0).to(kFloat64);
  double marginal = 0;
  for (std::int64_t j = 0; j < 2; ++j) {
    const std::vector<double> c = values_of(rows.slice(1, j, j + 1));
    double mean = 0, var = 0;
    for (double v : c)
      mean += v / static_cast<double>(c.size());
    for (double v : c)
      var += (v - mean) * (v - mean) / static_cast<double>(c.size());
    marginal += 0.5 * std::log(2 * std::numbers::pi * var) + 0.5;
  }
  INFO("NLL " << nll << ", independent Gaussians " << marginal);
  CHECK(nll < marginal - 1.0);

  // Save, load: the same bytes, the same NLL, the same draws.
  const std::vector<unsigned char> bytes = fitted.to_bytes();
  const FittedSequenceModel loaded = load_sequence_model_from_bytes(bytes, "memory");
  CHECK(loaded.to_bytes() == bytes);
  CHECK(loaded.y_names == fitted.y_names);
  CHECK(loaded.sequence_name == "id");
  CHECK(loaded.nll(test_set) == nll);
  Generator a(7), b(7);
  const std::vector<Tensor> da = fitted.continue_sequences(test_set, 4, a);
  const std::vector<Tensor> db = loaded.continue_sequences(test_set, 4, b);
  REQUIRE(da.size() == 10);
  CHECK(da[0].shape() == Shape{4, 2});
  for (std::size_t i = 0; i < da.size(); ++i)
    CHECK(values_of(da[i]) == values_of(db[i]));
  // Draws continue where the data leave off, in the data's units (around 500, not 0).
  CHECK(std::abs(values_of(da[0])[0] - 500) < 250);
}

TEST_CASE_METHOD(FreshTape, "a damaged sequence model file is an error naming the entry",
                 "[mdn][sequence][fit]") {
  SequenceFitOptions o = small_options();
  o.train.epochs = 1;
  const FittedSequenceModel fitted = fit_sequences(sines(10, 3), o);
  const nn::StateDict good = sequence_model_state(fitted);
  CHECK(is_sequence_model(good));
  const auto replaced = [&](const std::string& entry, const Tensor& value) {
    nn::StateDict state;
    for (const auto& [name, tensor] : good)
      state.insert(name, name == entry ? value : tensor);
    return state;
  };
  const Tensor huge = from_vector(std::vector<std::int64_t>{1 << 30}, {1}, kInt64);
  CHECK_THAT(error_of([&] { sequence_model_from_state(replaced("config.hidden", huge), "f.tgm"); }),
             Contains("f.tgm: corrupt model file: its options (rnn gru, hidden 1073741824"));
  CHECK_THAT(error_of([&] {
               sequence_model_from_state(
                   replaced("config.y_std", from_vector(std::vector<double>{1, 0}, {2}, kFloat64)),
                   "f.tgm");
             }),
             Contains("entry 'config.y_std' holds 0 at index 1; expected a finite positive"));
  CHECK_THAT(error_of([&] {
               sequence_model_from_state(replaced("config.rnn", text_tensor("rnn")), "f.tgm");
             }),
             Contains("unknown recurrent layer 'rnn'"));
}

TEST_CASE_METHOD(FreshTape, "fit_sequences names the sequence or column it cannot use",
                 "[mdn][sequence][fit]") {
  SequenceFitOptions o = small_options();
  o.source = "walks.csv";
  std::vector<Tensor> data = sines(6, 5);
  data[2] = data[2].slice(0, 0, 1);
  CHECK_THAT(error_of([&] { fit_sequences(data, o); }),
             Contains("sequence 2 of walks.csv has 1 step; expected at least 2"));
  data = sines(6, 5);
  for (Tensor& s : data)
    s = cat({s.slice(1, 0, 1), zeros({s.size(0), 1})}, 1);
  CHECK_THAT(error_of([&] { fit_sequences(data, o); }),
             Contains("walks.csv: column 'sign' holds the same value (0) in all"));
  o.validation = 0.01;
  CHECK_THAT(error_of([&] { fit_sequences(sines(6, 5), o); }),
             Contains("walks.csv: 6 sequences, of which a validation share of 0.01 holds out 0"));
}

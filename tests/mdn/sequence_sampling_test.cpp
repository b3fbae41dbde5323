// Generation: every drawn step is fed back as the next input, a prefix primes the state of its own
// sequence only, the temperatures reach the draws and the end-of-stroke bits, and the same seed
// gives the same bits on 1 and 2 threads.
#include "tests/support/autograd_helpers.hpp"

#include <mdn/predictions.hpp>
#include <mdn/sequence_sampling.hpp>

#include <omp.h>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::values_of;

namespace {

SequenceMDN make_model(bool eos, NoiseModel noise = NoiseModel::Diagonal, DType dtype = kFloat64) {
  Generator gen(31);
  return SequenceMDN({.in_features = eos ? 3 : 2,
                      .out_dim = 2,
                      .components = 4,
                      .rnn = RnnKind::LSTM,
                      .hidden = 6,
                      .noise = noise,
                      .end_of_stroke = eos},
                     gen, dtype);
}

constexpr SampleOptions kCold{.temperature = 0, .sigma_temperature = 0};

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "at temperature 0 every step is the most probable mean given the drawn steps "
                 "before it",
                 "[mdn][sequence][sampling]") {
  for (NoiseModel noise : {NoiseModel::Full, NoiseModel::Diagonal}) {
    const SequenceMDN model = make_model(true, noise);
    Generator gen(1);
    const SequenceSample s = sample_sequences(model, 3, 6, gen, kCold);
    REQUIRE(s.y.shape() == Shape{3, 6, 2});
    REQUIRE(s.eos.shape() == Shape{3, 6});
    // Teacher-forced on the drawn steps, the model must predict exactly what was drawn.
    std::vector<Tensor> y_each, eos_each;
    for (std::int64_t b = 0; b < 3; ++b) {
      y_each.push_back(s.y.slice(0, b, b + 1).reshape({6, 2}));
      eos_each.push_back(s.eos.slice(0, b, b + 1).reshape({6}));
    }
    const SequenceData data = autoregressive_sequences(y_each, eos_each);
    const SequenceOutput out = model.mixtures(data.x);
    test::check_close(most_probable_mean(out.mixture), values_of(s.y), 1e-12);
    const std::vector<double> logit = values_of(out.eos_logit), bits = values_of(s.eos);
    for (std::size_t i = 0; i < bits.size(); ++i)
      CHECK(bits[i] == (logit[i] > 0 ? 1.0 : 0.0));
  }
}

TEST_CASE_METHOD(FreshTape, "a padded prefix continues each sequence as it would alone",
                 "[mdn][sequence][sampling]") {
  const SequenceMDN model = make_model(false);
  Generator data_gen(2);
  const std::vector<Tensor> prefixes{randn({5, 2}, data_gen, kFloat64),
                                     randn({2, 2}, data_gen, kFloat64)};
  Generator gen(3);
  const SequenceSample together =
      continue_sequences(model, autoregressive_sequences(prefixes), 4, gen, kCold);
  for (std::size_t b = 0; b < 2; ++b) {
    const SequenceSample alone =
        continue_sequences(model, autoregressive_sequences({prefixes[b]}), 4, gen, kCold);
    test::check_close(
        together.y.slice(0, static_cast<std::int64_t>(b), static_cast<std::int64_t>(b) + 1),
        values_of(alone.y), 1e-13);
  }
  // The first drawn step is the most probable mean after the whole prefix.
  const SequenceData whole =
      autoregressive_sequences({cat({prefixes[1], zeros({1, 2}, kFloat64)}, 0)});
  const Mixture next = model.mixtures(whole.x).mixture;
  test::check_close(together.y.slice(0, 1, 2).slice(1, 0, 1),
                    values_of(most_probable_mean(next).slice(0, 2, 3)), 1e-13);
}

TEST_CASE_METHOD(FreshTape, "hotter samples spread wider, and the same seed gives the same bits",
                 "[mdn][sequence][sampling]") {
  const SequenceMDN model = make_model(true, NoiseModel::Full, kFloat32);
  const auto spread = [&](double tau) {
    Generator gen(4);
    const std::vector<double> y =
        values_of(sample_sequences(model, 200, 3, gen, {tau, tau}).y.slice(1, 0, 1));
    double mean = 0, square = 0;
    for (double v : y)
      mean += v / static_cast<double>(y.size());
    for (double v : y)
      square += (v - mean) * (v - mean) / static_cast<double>(y.size());
    return square;
  };
  CHECK(spread(0.2) < spread(1.0));
  CHECK(spread(1.0) < spread(3.0));

  const int threads = omp_get_max_threads();
  std::vector<std::vector<double>> runs;
  for (int n : {1, 2, 2}) {
    omp_set_num_threads(n);
    Generator gen(5);
    const SequenceSample s = sample_sequences(model, 300, 5, gen, {0.7, 0.9});
    runs.push_back(values_of(s.y));
    const std::vector<double> e = values_of(s.eos);
    runs.back().insert(runs.back().end(), e.begin(), e.end());
  }
  omp_set_num_threads(threads);
  CHECK(runs[0] == runs[1]);
  CHECK(runs[1] == runs[2]);
}

TEST_CASE_METHOD(FreshTape, "generation needs an autoregressive model", "[mdn][sequence]") {
  Generator gen(6);
  const SequenceMDN model(
      {.in_features = 5, .out_dim = 2, .components = 2, .rnn = RnnKind::GRU, .hidden = 3}, gen,
      kFloat64);
  CHECK_THAT(error_of([&] { sample_sequences(model, 1, 3, gen); }),
             Contains("the model takes 5 inputs per step but draws 2; generation feeds each draw "
                      "back as the next input"));
  const SequenceMDN good = make_model(false);
  CHECK_THAT(error_of([&] { sample_sequences(good, 1, 0, gen); }),
             Contains("expected at least one step to draw, got 0"));
  CHECK_THAT(error_of([&] { sample_sequences(good, 1, 2, gen, {.temperature = -1}); }),
             Contains("the temperature must be a finite number >= 0, got -1"));
}

// Training through time: a recurrent MDN learns a sequence whose next step needs memory beyond a
// truncated-BPTT chunk (the state is carried across chunks), clipping is applied, and the same
// seed gives the same bits.
#include "tests/support/autograd_helpers.hpp"

#include <mdn/sequence_train.hpp>

#include <cmath>
#include <numbers>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::values_of;

namespace {

// Each sequence shows its sign s = +-1 as its first input only; every target is s + N(0, 0.1^2).
// After the first step only the state remembers s. Lengths 12 to 16.
SequenceData remember_the_sign(std::int64_t count, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<Tensor> x, y;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t n = 12 + static_cast<std::int64_t>(gen.below(5));
    const double sign = gen.uniform() < 0.5 ? -1.0 : 1.0;
    std::vector<double> xs(static_cast<std::size_t>(n), 0.0), ys;
    xs[0] = sign;
    for (std::int64_t t = 0; t < n; ++t)
      ys.push_back(sign + 0.1 * gen.normal());
    x.push_back(from_vector(xs, {n, 1}, kFloat32));
    y.push_back(from_vector(ys, {n, 1}, kFloat32));
  }
  return pad_sequences(x, y);
}

SequenceMDN make_model(std::uint64_t seed) {
  Generator gen(seed);
  return SequenceMDN(
      {.in_features = 1, .out_dim = 1, .components = 2, .rnn = RnnKind::GRU, .hidden = 8}, gen);
}

std::vector<double> all_parameters(const nn::Module& m) {
  std::vector<double> out;
  for (const Tensor& p : m.parameters()) {
    const std::vector<double> v = values_of(p);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "truncated BPTT learns to remember across chunks: late steps beat chance",
                 "[mdn][sequence][train]") {
  const SequenceData train = remember_the_sign(64, 1), test_set = remember_the_sign(32, 2);
  SequenceMDN model = make_model(3);
  const TrainResult result = train_sequences(
      model, train, test_set, {.epochs = 60, .batch_size = 16, .bptt = 4, .lr = 0.02, .seed = 4});
  // Steps 8 and later lie two chunks or more after the only step that shows the sign. Not knowing
  // it, the best density is 0.5 N(-1, 0.1^2) + 0.5 N(1, 0.1^2), about -0.19 nats per step;
  // knowing it, N(s, 0.1^2), about -0.88.
  const Tensor lp = sequence_log_prob(model, test_set);
  const SequenceData late = test_set.steps_between(8, test_set.time());
  const double nll_late =
      -(lp.slice(1, 8, test_set.time())).sum().item<double>() / static_cast<double>(late.steps());
  const double chance = std::log(2.0) + 0.5 * std::log(2 * std::numbers::pi * 0.01) + 0.5;
  INFO("late NLL " << nll_late << ", chance " << chance << ", best epoch " << result.best_epoch);
  CHECK(nll_late < chance - 0.5);
  CHECK(result.best_val_nll == Approx(evaluate_sequence_nll(model, test_set)));
}

TEST_CASE_METHOD(FreshTape, "sequence training is the same bits for the same seed, and clips",
                 "[mdn][sequence][train]") {
  const SequenceData train = remember_the_sign(20, 5);
  const auto run = [&](double clip) {
    SequenceMDN model = make_model(6);
    train_sequences(model, train, {},
                    {.epochs = 2, .batch_size = 8, .bptt = 5, .clip_norm = clip, .seed = 7});
    return all_parameters(model);
  };
  CHECK(SequenceTrainOptions{}.clip_norm == 1.0); // on by default
  CHECK(run(1.0) == run(1.0));
  CHECK(run(1.0) != run(0.0)); // the default clip bites on this data
  CHECK(run(1e-9) != run(1.0));
}

TEST_CASE_METHOD(FreshTape, "train_sequences names what does not fit", "[mdn][sequence][train]") {
  const SequenceData train = remember_the_sign(4, 8);
  SequenceMDN model = make_model(9);
  CHECK_THAT(error_of([&] { train_sequences(model, train, {}, {.bptt = -1}); }),
             Contains("expected positive epochs and batch_size and bptt >= 0"));
  Generator gen(1);
  SequenceMDN wide({.in_features = 2, .out_dim = 1, .hidden = 3}, gen);
  CHECK_THAT(error_of([&] { train_sequences(wide, train, {}, {}); }),
             Contains("the training sequences have inputs [4, 16, 1] and targets [4, 16, 1], "
                      "expected [N, T, 2] and [N, T, 1]"));
}

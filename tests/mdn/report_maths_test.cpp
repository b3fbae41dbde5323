// What `mdn report` and the training logs rely on, in the library: fit reports training in the
// data's units, the model file keeps the training curves, marginal() gives each output's own
// mixture, and pit_histogram() counts PIT values with the band of a calibrated model.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <mdn/fit.hpp>
#include <mdn/metrics.hpp>
#include <mdn/model_file.hpp>
#include <mdn/predictions.hpp>

#include <cmath>
#include <numbers>

using namespace tapegrad;
using Catch::Matchers::Contains;

namespace {

// Bishop's inverse problem: x [n, 1], t [n, 1].
std::pair<Tensor, Tensor> bishop(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<double> xs, ts;
  for (std::int64_t i = 0; i < n; ++i) {
    const double t = gen.uniform();
    ts.push_back(t);
    xs.push_back(t + 0.3 * std::sin(2 * std::numbers::pi * t) + gen.uniform() * 0.2 - 0.1);
  }
  return {from_vector(xs, {n, 1}, kFloat32), from_vector(ts, {n, 1}, kFloat32)};
}

} // namespace

TEST_CASE("fit reports training in the data's units, and the model file keeps the curves",
          "[mdn][fit][history]") {
  const auto [x, t] = bishop(600, 4);
  // The same data in millimetres: every NLL moves by log(1000), as a density in mm is a thousandth
  // of one in m; the standardised training itself is the same.
  const Tensor t_mm = t * 1000.0;
  mdn::FitOptions options{.components = {2}, .model = {.hidden = {8}}, .x_names = {"x"}};
  options.train = {.epochs = 12, .batch_size = 100, .lr = 0.01};
  options.ensemble = 1; // one network's epochs, in order
  std::vector<mdn::EpochReport> seen;
  options.train.on_epoch = [&](const mdn::EpochReport& r) { seen.push_back(r); };
  const mdn::FittedModel metres = mdn::fit(x, t, options);
  const std::vector<mdn::EpochReport> seen_metres = seen;
  seen.clear();
  const mdn::FittedModel mm = mdn::fit(x, t_mm, options);
  REQUIRE(metres.result.history.size() == 12);
  REQUIRE(seen_metres.size() == 12);
  REQUIRE(seen.size() == 12);
  for (std::size_t e = 0; e < 12; ++e) {
    INFO("epoch " << e + 1);
    CHECK(seen[e].train_nll == Approx(seen_metres[e].train_nll + std::log(1000.0)).margin(1e-3));
    CHECK(seen[e].val_nll == Approx(seen_metres[e].val_nll + std::log(1000.0)).margin(1e-3));
    CHECK(mm.result.history[e].val_nll == seen[e].val_nll);
    CHECK(seen[e].step == static_cast<std::int64_t>(e + 1) * 6); // 540 rows in batches of 100
    CHECK(seen[e].lr == 0.01);
  }
  // The best validation NLL train() reached is the candidate's, both in the data's units.
  CHECK(mm.result.best_val_nll == Approx(mm.candidates[0].val_nll).margin(1e-3));

  // Written and read back: the curves and the best epoch return, and no timings were stored.
  const mdn::FittedModel loaded = mdn::model_from_state(mdn::model_state(mm), "m.tgm");
  REQUIRE(loaded.result.history.size() == 12);
  CHECK(loaded.result.best_epoch == mm.result.best_epoch);
  CHECK(loaded.result.best_val_nll == mm.result.best_val_nll);
  for (std::size_t e = 0; e < 12; ++e) {
    CHECK(loaded.result.history[e].train_nll == mm.result.history[e].train_nll);
    CHECK(loaded.result.history[e].val_nll == mm.result.history[e].val_nll);
    CHECK(loaded.result.history[e].improved == mm.result.history[e].improved);
    CHECK(loaded.result.history[e].seconds == 0);
  }

  // A file of the first release has none, and loads with an empty history.
  const mdn::FittedModel v1 =
      mdn::load(std::filesystem::path(TAPEGRAD_TEST_FIXTURES_DIR) / "model_v1_diagonal.tgm");
  CHECK(v1.result.history.empty());

  // Damaged curves are refused, naming the entry.
  const nn::StateDict state = mdn::model_state(mm);
  nn::StateDict shorter, no_best, late, infinite;
  for (const auto& [name, tensor] : state) {
    shorter.insert(name, name == "config.history.val_nll" ? tensor.slice(0, 0, 5) : tensor);
    if (name != "config.history.best_epoch")
      no_best.insert(name, tensor);
    late.insert(name, name == "config.history.best_epoch"
                          ? from_vector(std::vector<std::int64_t>{13}, {1}, kInt64)
                          : tensor);
    std::vector<double> train =
        tensor.dtype() == kFloat64 ? tensor.to_vector<double>() : std::vector<double>{};
    if (name == "config.history.train_nll")
      train[3] = INFINITY;
    infinite.insert(name, name == "config.history.train_nll" ? from_vector(train, {12}, kFloat64)
                                                             : tensor);
  }
  CHECK_THROWS_WITH(mdn::model_from_state(shorter, "s.tgm"),
                    Contains("s.tgm: entries 'config.history.train_nll' and "
                             "'config.history.val_nll' hold 12 and 5 epochs"));
  CHECK_THROWS_WITH(mdn::model_from_state(no_best, "b.tgm"),
                    Contains("b.tgm: 2 of the 3 entries config.history.*"));
  CHECK_THROWS_WITH(
      mdn::model_from_state(late, "l.tgm"),
      Contains("'config.history.best_epoch' holds 13; expected an epoch from 1 to 12"));
  CHECK_THROWS_WITH(mdn::model_from_state(infinite, "i.tgm"),
                    Contains("i.tgm: the history of epoch 4 holds training NLL inf"));
}

TEST_CASE("marginal(m, j) is the mixture of output j alone: its variance is Cov[y | x]_jj",
          "[mdn][predict][marginal]") {
  for (const mdn::NoiseModel noise : test::all_noise_models()) {
    INFO(mdn::noise_model_name(noise));
    const mdn::Mixture m = test::random_mixture(noise, 4, 3, 3, 17);
    const std::vector<double> total = mdn::mixture_covariance(m).total.to_vector<double>();
    const std::vector<double> mean = mdn::mixture_mean(m).to_vector<double>();
    for (std::int64_t j = 0; j < 3; ++j) {
      const mdn::Mixture mj = mdn::marginal(m, j);
      REQUIRE(mj.dim() == 1);
      CHECK(mj.num_components() == 3);
      const std::vector<double> var = mdn::mixture_covariance(mj).total.to_vector<double>();
      const std::vector<double> mu = mdn::mixture_mean(mj).to_vector<double>();
      for (std::size_t b = 0; b < 4; ++b) {
        CHECK(
            var[b] ==
            Approx(total[(b * 3 + static_cast<std::size_t>(j)) * 3 + static_cast<std::size_t>(j)]));
        CHECK(mu[b] == Approx(mean[b * 3 + static_cast<std::size_t>(j)]));
      }
    }
    CHECK_THROWS_WITH(mdn::marginal(m, 3), Contains("output 3 of a mixture of 3 outputs"));
  }
}

TEST_CASE("pit_histogram: flat for data drawn as the model says, a U for a model too sure",
          "[mdn][predict][pit]") {
  // 1000 rows, each N(0, 1); y at the midpoints of 1000 equal slices of probability, so that the
  // PIT values are exactly uniform: 100 in each of 10 bins.
  constexpr std::int64_t n = 1000;
  const auto mixture_with_scale = [&](double scale) {
    return mdn::Mixture(mdn::NoiseModel::Diagonal, zeros({n, 1}, kFloat64),
                        zeros({n, 1, 1}, kFloat64), full({n, 1, 1}, scale, kFloat64));
  };
  std::vector<double> ys;
  for (std::int64_t i = 0; i < n; ++i) {
    const double p = (static_cast<double>(i) + 0.5) / n;
    // The standard normal quantile by bisection on erfc, good to 1e-12.
    double lo = -10, hi = 10;
    for (int step = 0; step < 100; ++step) {
      const double mid = (lo + hi) / 2;
      (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
    }
    ys.push_back((lo + hi) / 2);
  }
  const Tensor y = from_vector(ys, {n, 1}, kFloat64);
  const mdn::PitHistogram calibrated = mdn::pit_histogram(mixture_with_scale(1), y, 10);
  REQUIRE(calibrated.counts.size() == 10);
  for (const std::int64_t c : calibrated.counts)
    CHECK(c == 100);
  CHECK(calibrated.expected == 100);
  CHECK(calibrated.hi - calibrated.expected == Approx(1.96 * std::sqrt(1000 * 0.1 * 0.9)));
  CHECK(calibrated.expected - calibrated.lo == Approx(calibrated.hi - calibrated.expected));
  // Half the true spread: the data fall in the tails of the model, the outer bins overflow.
  const mdn::PitHistogram sure = mdn::pit_histogram(mixture_with_scale(0.5), y, 10);
  CHECK(sure.counts.front() > sure.hi);
  CHECK(sure.counts.back() > sure.hi);
  CHECK(sure.counts[5] < sure.lo);
  CHECK_THROWS_WITH(mdn::pit_histogram(mixture_with_scale(1), y, 0), Contains("0 bins"));
}

// mdn::tune: a seeded sequence of configurations starting with the defaults, every trial
// reported, the best by cross-validated NLL fitted at the end.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/fit_data.hpp"

#include <mdn/mdn.hpp>

using namespace tapegrad;
using Catch::Matchers::Contains;
using test::error_of;
using test::FreshTape;

TEST_CASE("tune's sequence: trial 0 is the defaults, the others a function of the seed",
          "[mdn][tune]") {
  const mdn::FitOptions base;
  const mdn::TuneTrial zero = mdn::tune_trial(base, 0, 7);
  CHECK(zero.components == base.model.components);
  CHECK(zero.hidden == base.model.hidden);
  CHECK(zero.lr == base.train.lr);
  CHECK(zero.noise_factor == mdn::kNoiseFactor);
  for (std::int64_t i = 1; i < 20; ++i) {
    const mdn::TuneTrial a = mdn::tune_trial(base, i, 7), b = mdn::tune_trial(base, i, 7);
    CHECK(a.components == b.components);
    CHECK(a.hidden == b.hidden);
    CHECK(a.lr == b.lr);
    CHECK(a.lr >= 3e-4);
    CHECK(a.lr <= 1e-2);
  }
  bool differs = false;
  for (std::int64_t i = 1; i < 20; ++i)
    differs = differs || mdn::tune_trial(base, i, 7).lr != mdn::tune_trial(base, i, 8).lr;
  CHECK(differs);
}

TEST_CASE_METHOD(FreshTape, "tune reports every trial and fits the best", "[mdn][tune]") {
  const test::XY d = test::two_branches(160, 1);
  mdn::FitOptions base;
  base.train.steps = 60;
  base.ensemble = 2;
  base.folds = 2;
  std::vector<mdn::TuneTrial> seen;
  const mdn::TuneResult result = mdn::tune(
      d.x, d.y, base,
      {.budget_seconds = 0, .trials = 3, .seed = 4, .on_trial = [&](const mdn::TuneTrial& t) {
         seen.push_back(t);
       }});
  REQUIRE(result.trials.size() == 3);
  REQUIRE(seen.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(seen[i].index == static_cast<std::int64_t>(i));
    CHECK(std::isfinite(seen[i].cv_nll));
    CHECK(seen[i].cv_nll >= result.trials[result.best].cv_nll);
  }
  const mdn::TuneTrial& best = result.trials[result.best];
  CHECK(result.model.options().components == best.components);
  CHECK(result.model.options().hidden == best.hidden);
  CHECK(result.model.ensemble_size() == 2);
  CHECK_THAT(error_of([&] { mdn::tune(d.x, d.y, base, {.budget_seconds = 0, .trials = 0}); }),
             Contains("expected a positive budget or a positive number of trials"));
}

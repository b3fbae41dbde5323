// Model-order selection by k-fold cross-validation: the same table and choice on every run and
// thread count, the one-standard-error rule's choice, and the table in mdn::fit's candidates.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/fit_data.hpp"

#include <mdn/mdn.hpp>

#include <omp.h>

using namespace tapegrad;
using Catch::Matchers::Contains;
using test::error_of;
using test::FreshTape;

namespace {

mdn::FitOptions quick(std::vector<std::int64_t> components) {
  mdn::FitOptions o;
  o.components = std::move(components);
  o.model.hidden = {16};
  o.train.steps = 300;
  o.ensemble = 1;
  o.folds = 3;
  o.seed = 2;
  return o;
}

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "cross-validation gives the same table and choice on every run and on 1 and 2 "
                 "threads",
                 "[mdn][cross_validation]") {
  const test::XY d = test::two_branches(240, 1);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const mdn::ComponentChoice one = mdn::cross_validate(d.x, d.y, quick({1, 2, 3}));
  omp_set_num_threads(2);
  const mdn::ComponentChoice two = mdn::cross_validate(d.x, d.y, quick({1, 2, 3}));
  const mdn::ComponentChoice again = mdn::cross_validate(d.x, d.y, quick({1, 2, 3}));
  omp_set_num_threads(threads);
  REQUIRE(one.scores.size() == 3);
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(one.scores[c].nll == two.scores[c].nll);
    CHECK(one.scores[c].nll == again.scores[c].nll);
    CHECK(one.scores[c].excess_se == two.scores[c].excess_se);
  }
  CHECK(one.chosen == two.chosen);
  CHECK(one.best == two.best);
}

TEST_CASE_METHOD(FreshTape, "cross-validation never keeps one component for two branches",
                 "[mdn][cross_validation]") {
  // Two branches need two components: one scores far worse.
  const test::XY branches = test::two_branches(300, 3);
  const mdn::ComponentChoice two = mdn::cross_validate(branches.x, branches.y, quick({1, 2, 4}));
  CHECK(two.scores[0].excess > 5 * two.scores[0].excess_se);
  CHECK(two.scores[two.chosen].components >= 2); // never too few (which K of 2 and 4: chance)
  for (const mdn::ComponentScore& s : two.scores)
    CHECK(s.excess >= 0);
}

TEST_CASE("choose_components: the fewest components within one standard error of the best",
          "[mdn][cross_validation]") {
  // Per-row NLL of K = 1, 2, 3 over 4 rows. K = 3 is best: mean 1.0, its rows' standard
  // deviation sqrt(4 * 0.01 / 3), so a standard error of that over sqrt(4) = 0.0577. K = 2 is
  // worse by 0.02 (within one standard error: kept); K = 1 by 0.5 (far outside).
  const std::vector<std::vector<double>> rows{
      {1.5, 1.5, 1.5, 1.5}, {1.02, 1.02, 1.02, 1.02}, {0.9, 1.1, 0.9, 1.1}};
  const mdn::ComponentChoice choice = mdn::choose_components({1, 2, 3}, rows);
  CHECK(choice.best == 2);
  CHECK(choice.chosen == 1);
  CHECK(choice.scores[2].nll == Approx(1.0));
  CHECK(choice.scores[2].nll_se == Approx(std::sqrt(4 * 0.01 / 3) / 2));
  // The paired excess is reported beside: K = 2's difference to K = 3, row by row.
  CHECK(choice.scores[1].excess == Approx(0.02));
  CHECK(choice.scores[1].excess_se == Approx(std::sqrt(4 * 0.01 / 3) / 2));
  CHECK(choice.scores[0].excess == Approx(0.5));
  // A K = 2 worse by 0.1, more than the best's standard error: the best is kept.
  const mdn::ComponentChoice clear = mdn::choose_components(
      {1, 2, 3}, {{1.5, 1.5, 1.5, 1.5}, {1.1, 1.1, 1.1, 1.1}, {0.9, 1.1, 0.9, 1.1}});
  CHECK(clear.chosen == 2);
}

TEST_CASE_METHOD(FreshTape,
                 "fit with several K cross-validates, keeps the choice and reports the table in "
                 "the data's units",
                 "[mdn][cross_validation]") {
  const test::XY d = test::two_branches(240, 5);
  const mdn::FitOptions o = quick({1, 2});
  const mdn::FittedModel model = mdn::fit(d.x * 10.0, d.y * 10.0, o);
  REQUIRE(model.candidates.size() == 2);
  const mdn::ComponentChoice choice = mdn::cross_validate(d.x * 10.0, d.y * 10.0, o);
  for (std::size_t c = 0; c < 2; ++c) {
    CHECK(model.candidates[c].components == choice.scores[c].components);
    CHECK(model.candidates[c].val_nll == choice.scores[c].nll);
  }
  // In the data's units: y ten times larger costs log 10 nats per point over the same fit of y.
  const mdn::ComponentChoice unscaled = mdn::cross_validate(d.x, d.y, o);
  CHECK(choice.scores[1].nll == Approx(unscaled.scores[1].nll + std::log(10.0)).margin(0.05));
  CHECK(model.options().components == choice.scores[choice.chosen].components);
  CHECK(model.candidates[choice.chosen].model == model.members.front());
  mdn::FitOptions bad = o;
  bad.folds = 1;
  CHECK_THAT(error_of([&] { mdn::fit(d.x, d.y, bad); }),
             Contains("by 1-fold cross-validation of 240 rows; expected 2 to 240 folds"));
}

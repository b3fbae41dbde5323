// The recipe's automatic settings: the batch follows the rows, the learning rate warms up and
// decays along a cosine, early stopping waits, and the defaults fit a data set of 50 rows.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/fit_data.hpp"

#include <mdn/mdn.hpp>

#include <cmath>

using namespace tapegrad;
using test::FreshTape;

TEST_CASE("the automatic batch is every row up to 512, then 256", "[mdn][recipe]") {
  CHECK(mdn::automatic_batch_size(50) == 50);
  CHECK(mdn::automatic_batch_size(512) == 512);
  CHECK(mdn::automatic_batch_size(513) == 256);
  const mdn::TrainOptions resolved = mdn::resolve_training(
      {.epochs = 0, .steps = 1000, .batch_size = 0, .patience = -1, .min_epochs = -1}, 2048);
  CHECK(resolved.batch_size == 256);
  CHECK(mdn::planned_epochs(resolved, 2048) == 125); // 8 batches per epoch
  CHECK(resolved.patience == std::llround(mdn::kPatienceShare * 125));
  CHECK(resolved.min_epochs == std::llround(mdn::kMinEpochsShare * 125));
}

TEST_CASE("the learning rate warms up linearly, then follows a cosine down to final_lr",
          "[mdn][recipe]") {
  const mdn::TrainOptions o{.lr = 0.01, .warmup_steps = 10, .final_lr = 0.1};
  // 111 steps: 10 of warm-up, then 101 whose cosine runs from step 10 to step 110.
  CHECK(mdn::scheduled_lr(o, 0, 111) == Approx(0.001));
  CHECK(mdn::scheduled_lr(o, 9, 111) == Approx(0.01));
  CHECK(mdn::scheduled_lr(o, 10, 111) == Approx(0.01));
  CHECK(mdn::scheduled_lr(o, 60, 111) == Approx(0.01 * (0.1 + 0.9 * 0.5))); // half way
  CHECK(mdn::scheduled_lr(o, 110, 111) == Approx(0.001));
  const mdn::TrainOptions constant{.lr = 0.01};
  CHECK(mdn::scheduled_lr(constant, 500, 1000) == 0.01);
}

TEST_CASE_METHOD(FreshTape,
                 "early stopping does not stop before min_epochs, and stops after patience",
                 "[mdn][recipe]") {
  const test::XY d = test::two_branches(100, 1), v = test::two_branches(50, 2);
  Generator gen(1);
  mdn::MDN model({.in_features = 1, .out_dim = 1, .components = 2, .hidden = {4}}, gen);
  // A rate this high never improves for long: patience 1 stops at once, unless it must wait.
  const mdn::TrainResult waited = mdn::train(
      model, d.x, d.y, v.x, v.y,
      {.epochs = 40, .batch_size = 100, .lr = 0.5, .patience = 1, .min_epochs = 30, .seed = 1});
  CHECK(waited.history.size() >= 30);
}

TEST_CASE_METHOD(FreshTape,
                 "the defaults fit 50 rows, and a step budget does not depend on the rows",
                 "[mdn][recipe]") {
  const test::XY d = test::two_branches(50, 3);
  mdn::FitOptions o; // the defaults, with a short budget to keep the test quick
  o.train.steps = 40;
  o.ensemble = 2;
  const mdn::FittedModel model = mdn::fit(d.x, d.y, o);
  CHECK(model.complete());
  CHECK(std::isfinite(model.nll(d.x, d.y)));
  // 45 training rows in one batch: one step per epoch, 40 epochs (or fewer, stopped early).
  CHECK(model.result.history.front().epochs == 40);
}

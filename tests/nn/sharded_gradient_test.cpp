// The sharded gradient (nn/sharded_gradient.hpp): the shards depend on the batch alone, one
// process's sum over them is the whole batch's gradient to rounding (exactly, for one shard), and
// the bits do not depend on how the shards are dealt out to processes. N processes are simulated
// in one: each simulated rank hands its shards to a recording communicator, and the shards of all
// ranks, in rank order, must be the shards one process computes, bit for bit (the fold over them
// is the communicator's, tested on 1, 2 and 3 real processes by tests/mpi).
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <cstring>

using namespace tapegrad;
using tapegrad::test::FreshTape;

namespace {

// A small network and a mean squared error, on rows of a fixed batch.
struct Problem {
  Generator gen{7};
  nn::Linear first{3, 8, gen}, second{8, 2, gen};
  Tensor x, y;
  explicit Problem(std::int64_t rows) : x(randn({rows, 3}, gen)), y(randn({rows, 2}, gen)) {}
  std::vector<Tensor> parameters() const {
    std::vector<Tensor> all = first.parameters();
    for (const Tensor& p : second.parameters())
      all.push_back(p);
    return all;
  }
  Tensor loss(nn::RowRange r) {
    const Tensor out = second.forward(first.forward(x.slice(0, r.begin, r.end)).tanh());
    return (out - y.slice(0, r.begin, r.end)).pow(2).mean();
  }
};

std::vector<float> gradients(const std::vector<Tensor>& parameters) {
  std::vector<float> all;
  for (const Tensor& p : parameters) {
    const std::vector<float> g = p.grad().to_vector<float>();
    all.insert(all.end(), g.begin(), g.end());
  }
  return all;
}

// Rank `rank` of `size`: keeps the shards it is handed, in order, and sums nothing.
class RecordingRank final : public nn::Communicator {
public:
  RecordingRank(int rank, int size, std::vector<std::vector<float>>& shards)
      : rank_(rank), size_(size), shards_(shards) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "recording"; }
  void ordered_sum(std::span<const std::span<const float>> shards,
                   std::span<float> total) override {
    for (const std::span<const float>& s : shards)
      shards_.emplace_back(s.begin(), s.end());
    std::fill(total.begin(), total.end(), 0.0f);
  }
  void ordered_sum(std::span<const std::span<const double>>, std::span<double>) override {
    FAIL("a float model's gradient went through the double fold");
  }
  void broadcast(std::span<std::byte>, int) override {}
  void barrier() override {}

private:
  int rank_, size_;
  std::vector<std::vector<float>>& shards_;
};

} // namespace

TEST_CASE("a batch's shards depend on its rows alone and cover them evenly", "[nn][sharded]") {
  CHECK(nn::shard_count(1) == 1);
  CHECK(nn::shard_count(nn::kShardRows) == 1);
  CHECK(nn::shard_count(nn::kShardRows + 1) == 2);
  for (std::int64_t rows : {1, 255, 256, 257, 700, 4096, 5000}) {
    const std::int64_t shards = nn::shard_count(rows);
    std::int64_t next = 0, shortest = rows, longest = 0;
    for (std::int64_t s = 0; s < shards; ++s) {
      const nn::RowRange r = nn::shard_rows(rows, s);
      CHECK(r.begin == next);
      shortest = std::min(shortest, r.rows());
      longest = std::max(longest, r.rows());
      next = r.end;
    }
    CHECK(next == rows);
    CHECK(longest <= nn::kShardRows);
    CHECK(longest - shortest <= 1);
  }
  CHECK_THROWS(nn::shard_rows(700, 3));
  CHECK_THROWS(nn::shard_count(0));
}

TEST_CASE("one shard's gradient is the whole batch's, bit for bit", "[nn][sharded]") {
  FreshTape fresh;
  Problem problem(nn::kShardRows);
  const std::vector<Tensor> parameters = problem.parameters();
  const Tensor whole = problem.loss({0, nn::kShardRows});
  const float whole_loss = whole.item<float>();
  whole.backward();
  clear_tape();
  const std::vector<float> expected = gradients(parameters);
  nn::SingleProcess one;
  const double loss = nn::sharded_backward(parameters, nn::kShardRows, one,
                                           [&](nn::RowRange r) { return problem.loss(r); });
  CHECK(loss == static_cast<double>(whole_loss));
  const std::vector<float> got = gradients(parameters);
  REQUIRE(got.size() == expected.size());
  CHECK(std::memcmp(got.data(), expected.data(), got.size() * sizeof(float)) == 0);
}

TEST_CASE("the sharded gradient is the whole batch's mean gradient to rounding", "[nn][sharded]") {
  FreshTape fresh;
  const std::int64_t rows = 700; // three shards of 234, 233 and 233 rows
  Problem problem(rows);
  const std::vector<Tensor> parameters = problem.parameters();
  const Tensor whole = problem.loss({0, rows});
  const double whole_loss = whole.item<double>();
  whole.backward();
  clear_tape();
  const std::vector<float> expected = gradients(parameters);
  nn::SingleProcess one;
  const double loss =
      nn::sharded_backward(parameters, rows, one, [&](nn::RowRange r) { return problem.loss(r); });
  CHECK(loss == Approx(whole_loss).epsilon(1e-5));
  const std::vector<float> got = gradients(parameters);
  REQUIRE(got.size() == expected.size());
  float largest = 0;
  for (float g : expected)
    largest = std::max(largest, std::abs(g));
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK(std::abs(got[i] - expected[i]) <= 1e-5f * largest);
}

TEST_CASE("the shards' gradients do not depend on which process computes them", "[nn][sharded]") {
  FreshTape fresh;
  const std::int64_t rows = 1100; // five shards
  Problem problem(rows);
  const std::vector<Tensor> parameters = problem.parameters();
  std::vector<std::vector<float>> alone;
  RecordingRank one(0, 1, alone);
  nn::sharded_backward(parameters, rows, one, [&](nn::RowRange r) { return problem.loss(r); });
  REQUIRE(alone.size() == 5);
  for (int size : {2, 3, 5, 7}) {
    INFO(size << " processes");
    std::vector<std::vector<float>> dealt; // every rank's shards, rank 0's first
    for (int rank = 0; rank < size; ++rank) {
      RecordingRank process(rank, size, dealt);
      nn::sharded_backward(parameters, rows, process,
                           [&](nn::RowRange r) { return problem.loss(r); });
    }
    REQUIRE(dealt.size() == alone.size());
    for (std::size_t s = 0; s < alone.size(); ++s)
      CHECK(std::memcmp(dealt[s].data(), alone[s].data(), alone[s].size() * sizeof(float)) == 0);
  }
}

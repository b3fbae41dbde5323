// solve_triangular: X = L^-1 B checked by multiplying back, against a hand-solved 2 x 2 system,
// and by gradcheck with respect to both L and B.
#include "tests/support/autograd_helpers.hpp"

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_close;
using tapegrad::test::check_gradients;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::uniform;

namespace {

// A well-conditioned lower-triangular batch: diagonal in [1, 2], strict lower part in [-1, 1],
// and an upper part of garbage that the op must ignore.
Tensor lower_factor(const Shape& shape, std::uint64_t seed) {
  Tensor l = uniform(shape, seed, -1, 1);
  double* data = l.data_ptr<double>();
  const std::int64_t d = shape[shape.rank() - 1];
  for (std::int64_t s = 0; s < l.numel() / (d * d); ++s)
    for (std::int64_t i = 0; i < d; ++i) {
      data[(s * d + i) * d + i] = 1.5 + 0.5 * data[(s * d + i) * d + i];
      for (std::int64_t j = i + 1; j < d; ++j)
        data[(s * d + i) * d + j] = 99.0;
    }
  return l;
}

} // namespace

TEST_CASE_METHOD(FreshTape, "solve_triangular solves a 2 x 2 system written out by hand",
                 "[ops][triangular]") {
  // L = [[2, 0], [1, 4]], b = [4, 6]: x0 = 4 / 2 = 2, x1 = (6 - 1 * 2) / 4 = 1.
  const Tensor l = from_vector<double>({2, 123, 1, 4}, {2, 2});
  const Tensor b = from_vector<double>({4, 6}, {2, 1});
  check_close(solve_triangular(l, b), {2, 1});
}

TEST_CASE_METHOD(FreshTape, "solve_triangular inverts a batch: L X gives back B",
                 "[ops][triangular]") {
  const Tensor l = lower_factor({2, 3, 4, 4}, 7);
  const Tensor b = uniform({2, 3, 4, 2}, 8, -2, 2);
  const Tensor x = solve_triangular(l, b);
  // Multiply back with the lower triangle only.
  const std::vector<double> L = l.to_vector<double>(), X = x.to_vector<double>(),
                            B = b.to_vector<double>();
  for (std::int64_t s = 0; s < 6; ++s)
    for (std::int64_t i = 0; i < 4; ++i)
      for (std::int64_t c = 0; c < 2; ++c) {
        double acc = 0;
        for (std::int64_t j = 0; j <= i; ++j)
          acc += L[static_cast<std::size_t>((s * 4 + i) * 4 + j)] *
                 X[static_cast<std::size_t>((s * 4 + j) * 2 + c)];
        CHECK(acc == Approx(B[static_cast<std::size_t>((s * 4 + i) * 2 + c)]).epsilon(1e-12));
      }
}

TEST_CASE_METHOD(FreshTape, "solve_triangular passes gradcheck in L and B", "[ops][triangular]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Tensor l = lower_factor({3, 3, 3}, seed).requires_grad_();
    Tensor b = uniform({3, 3, 2}, seed + 10, -1, 1).requires_grad_();
    check_gradients([](const std::vector<Tensor>& in) { return solve_triangular(in[0], in[1]); },
                    {l, b});
  }
  Tensor l = lower_factor({1, 1}, 4).requires_grad_();
  Tensor b = uniform({1, 3}, 5, -1, 1).requires_grad_();
  check_gradients([](const std::vector<Tensor>& in) { return solve_triangular(in[0], in[1]); },
                  {l, b});
}

TEST_CASE_METHOD(FreshTape, "solve_triangular leaves the strict upper triangle's gradient at 0",
                 "[ops][triangular]") {
  Tensor l = lower_factor({3, 3}, 9).requires_grad_();
  const Tensor b = uniform({3, 1}, 10, -1, 1);
  solve_triangular(l, b).sum().backward();
  const Tensor g = l.grad();
  CHECK(g.at({0, 1}) == 0.0);
  CHECK(g.at({0, 2}) == 0.0);
  CHECK(g.at({1, 2}) == 0.0);
  CHECK(g.at({2, 0}) != 0.0);
}

TEST_CASE_METHOD(FreshTape, "solve_triangular rejects bad shapes and singular factors",
                 "[ops][triangular]") {
  CHECK_THAT(error_of([] {
               solve_triangular(zeros({2, 3}, kFloat64), zeros({2, 1}, kFloat64));
             }),
             Contains("expected L of shape [..., d, d]"));
  CHECK_THAT(error_of([] {
               solve_triangular(zeros({2, 2, 2}, kFloat64), zeros({3, 2, 1}, kFloat64));
             }),
             Contains("leading axes"));
  CHECK_THAT(error_of([] {
               solve_triangular(zeros({2, 2}, kFloat64), ones({2, 1}, kFloat64));
             }),
             Contains("L is singular (diagonal entry 0 of matrix 0 is 0)"));
}

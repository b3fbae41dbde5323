// solve_triangular: X = op(A)^-1 B checked by multiplying back, against a hand-solved 2 x 2 system,
// for every option (upper, transpose, left, unitriangular) and broadcast batch axes, and by
// gradcheck with respect to both A and B.
#include "tests/support/autograd_helpers.hpp"

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

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

// The same, upper-triangular, with garbage below the diagonal.
Tensor upper_factor(const Shape& shape, std::uint64_t seed) {
  return lower_factor(shape, seed).mT().detach().clone();
}

// Every combination of the options.
std::vector<SolveTriangularOptions> all_options() {
  std::vector<SolveTriangularOptions> out;
  for (bool upper : {false, true})
    for (bool transpose : {false, true})
      for (bool left : {true, false})
        for (bool unit : {false, true})
          out.push_back({upper, transpose, left, unit});
  return out;
}

std::string describe(const SolveTriangularOptions& o) {
  return std::string(o.upper ? "upper" : "lower") + (o.transpose ? " transposed" : "") +
         (o.left ? " left" : " right") + (o.unitriangular ? " unit" : "");
}

// op(A) of the d x d matrix at `a`, as the solve reads it: the named triangle only, ones on the
// diagonal when unit, transposed when asked.
std::vector<double> dense_op(const double* a, std::int64_t d, const SolveTriangularOptions& o) {
  std::vector<double> m(static_cast<std::size_t>(d * d), 0.0);
  for (std::int64_t i = 0; i < d; ++i)
    for (std::int64_t j = 0; j < d; ++j) {
      const bool stored = o.upper ? j >= i : j <= i;
      const double value = i == j && o.unitriangular ? 1.0 : stored ? a[i * d + j] : 0.0;
      m[static_cast<std::size_t>(o.transpose ? j * d + i : i * d + j)] = value;
    }
  return m;
}

// Checks op(A) X = B (or X op(A) = B) for every output matrix, broadcasting A's and B's batch
// axes by index, as the op's documentation says.
void check_solves(const Tensor& a, const Tensor& b, const Tensor& x,
                  const SolveTriangularOptions& o) {
  const std::int64_t d = a.size(-1), rows = x.size(-2), cols = x.size(-1);
  const Shape batch(std::span<const std::int64_t>(x.shape().begin(), x.shape().end() - 2));
  const auto matrix_index = [&](const Tensor& t, std::int64_t flat) {
    const std::vector<std::int64_t> index = tapegrad::test::unravel(flat, batch);
    std::int64_t m = 0;
    const int own = t.dim() - 2;
    for (int i = 0; i < own; ++i) {
      const std::int64_t size = t.shape()[i];
      m = m * size + (size == 1 ? 0 : index[static_cast<std::size_t>(i + batch.rank() - own)]);
    }
    return m;
  };
  const std::vector<double> A = a.to_vector<double>(), B = b.to_vector<double>(),
                            X = x.to_vector<double>();
  for (std::int64_t s = 0; s < batch.numel(); ++s) {
    const std::vector<double> M = dense_op(A.data() + matrix_index(a, s) * d * d, d, o);
    const double* bs = B.data() + matrix_index(b, s) * rows * cols;
    const double* xs = X.data() + s * rows * cols;
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t c = 0; c < cols; ++c) {
        double acc = 0;
        for (std::int64_t j = 0; j < d; ++j)
          acc += o.left ? M[static_cast<std::size_t>(i * d + j)] * xs[j * cols + c]
                        : xs[i * cols + j] * M[static_cast<std::size_t>(j * d + c)];
        CHECK(acc == Approx(bs[i * cols + c]).epsilon(1e-12).margin(1e-12));
      }
  }
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

TEST_CASE_METHOD(FreshTape, "solve_triangular: upper, transposed, from the right, unit diagonal",
                 "[ops][triangular]") {
  // [[2, 1], [0, 4]] x = [4, 8] (upper): x1 = 2, x0 = (4 - 2) / 2 = 1.
  const Tensor u = from_vector<double>({2, 1, 123, 4}, {2, 2});
  check_close(solve_triangular(u, from_vector<double>({4, 8}, {2, 1}), {.upper = true}), {1, 2});
  // Its transpose [[2, 0], [1, 4]] x = [4, 6]: x0 = 2, x1 = 1.
  check_close(
      solve_triangular(u, from_vector<double>({4, 6}, {2, 1}), {.upper = true, .transpose = true}),
      {2, 1});
  // Unit diagonal: [[1, 1], [0, 1]] x = [3, 2]: x1 = 2, x0 = 1.
  check_close(solve_triangular(u, from_vector<double>({3, 2}, {2, 1}),
                               {.upper = true, .unitriangular = true}),
              {1, 2});
  // From the right: x [[2, 1], [0, 4]] = [2, 9]: x0 = 1, x1 = (9 - 1) / 4 = 2.
  check_close(
      solve_triangular(u, from_vector<double>({2, 9}, {1, 2}), {.upper = true, .left = false}),
      {1, 2});
}

TEST_CASE_METHOD(FreshTape,
                 "solve_triangular: every option, multiplied back, with broadcast batches",
                 "[ops][triangular]") {
  struct Case {
    Shape a, b;
  };
  const std::vector<Case> cases{{{4, 4}, {4, 3}},          {{2, 3, 4, 4}, {2, 3, 4, 2}},
                                {{3, 4, 4}, {4, 2}},       {{4, 4}, {2, 1, 4, 3}},
                                {{2, 1, 4, 4}, {3, 4, 1}}, {{1, 4, 4}, {2, 4, 4}}};
  std::uint64_t seed = 40;
  for (const SolveTriangularOptions& o : all_options())
    for (const Case& c : cases) {
      Shape b_shape = c.b;
      if (!o.left) // B [..., n, d]
        std::swap(b_shape[b_shape.rank() - 1], b_shape[b_shape.rank() - 2]);
      INFO(describe(o) << ", A " << c.a.str() << ", B " << b_shape.str());
      const Tensor a = o.upper ? upper_factor(c.a, seed) : lower_factor(c.a, seed);
      const Tensor b = uniform(b_shape, seed + 1, -2, 2);
      seed += 2;
      const Tensor x = solve_triangular(a, b, o);
      check_solves(a, b, x, o);
    }
}

TEST_CASE_METHOD(FreshTape, "solve_triangular: gradcheck for every option and broadcast batches",
                 "[ops][triangular][gradcheck]") {
  std::uint64_t seed = 70;
  for (const SolveTriangularOptions& o : all_options())
    for (const auto& [a_shape, b_shape] : std::vector<std::pair<Shape, Shape>>{
             {{3, 3}, {3, 2}}, {{2, 3, 3}, {3, 2}}, {{3, 3}, {2, 3, 2}}}) {
      Shape bs = b_shape;
      if (!o.left)
        std::swap(bs[bs.rank() - 1], bs[bs.rank() - 2]);
      INFO(describe(o) << ", A " << a_shape.str() << ", B " << bs.str());
      Tensor a =
          (o.upper ? upper_factor(a_shape, seed) : lower_factor(a_shape, seed)).requires_grad_();
      Tensor b = uniform(bs, seed + 1, -1, 1).requires_grad_();
      seed += 2;
      check_gradients(
          [o](const std::vector<Tensor>& in) { return solve_triangular(in[0], in[1], o); }, {a, b});
    }
}

TEST_CASE_METHOD(FreshTape, "solve_triangular: the triangle not read gets no gradient",
                 "[ops][triangular]") {
  for (const SolveTriangularOptions& o : all_options()) {
    INFO(describe(o));
    Tensor a = (o.upper ? upper_factor({3, 3}, 80) : lower_factor({3, 3}, 80)).requires_grad_();
    solve_triangular(a, uniform({3, 3}, 81, -1, 1), o).sum().backward();
    const Tensor g = a.grad();
    for (std::int64_t i = 0; i < 3; ++i)
      for (std::int64_t j = 0; j < 3; ++j) {
        const bool read = (o.upper ? j >= i : j <= i) && !(o.unitriangular && i == j);
        if (!read)
          CHECK(g.at({i, j}) == 0.0);
      }
    clear_tape();
  }
}

TEST_CASE_METHOD(FreshTape, "solve_triangular passes NaN on", "[ops][triangular]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor l = from_vector<double>({nan, 0, 1, 2}, {2, 2});
  const std::vector<double> x = solve_triangular(l, ones({2, 1}, kFloat64)).to_vector<double>();
  CHECK(std::isnan(x[0]));
  CHECK(std::isnan(x[1]));
  // Substitution carries a NaN down to every later row, even across a zero of L (0 * NaN is NaN).
  const std::vector<double> y =
      solve_triangular(eye(2, kFloat64), from_vector<double>({nan, 1}, {2, 1})).to_vector<double>();
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[1]));
  const std::vector<double> z =
      solve_triangular(eye(2, kFloat64), from_vector<double>({1, nan}, {2, 1})).to_vector<double>();
  CHECK(z[0] == 1.0);
  CHECK(std::isnan(z[1]));
}

TEST_CASE_METHOD(FreshTape, "solve_triangular rejects bad shapes and singular factors",
                 "[ops][triangular]") {
  CHECK_THAT(error_of([] {
               solve_triangular(zeros({2, 3}, kFloat64), zeros({2, 1}, kFloat64));
             }),
             Contains("expected A of shape [..., d, d]"));
  CHECK_THAT(error_of([] {
               solve_triangular(eye(2, kFloat64), zeros({3, 1}, kFloat64));
             }),
             Contains("B of shape [..., d, n]") && Contains("[3, 1]"));
  CHECK_THAT(error_of([] {
               solve_triangular(eye(2, kFloat64), zeros({1, 3}, kFloat64), {.left = false});
             }),
             Contains("[..., n, d] (left = false)"));
  CHECK_THAT(error_of([] {
               solve_triangular(zeros({2, 2, 2}, kFloat64), zeros({3, 2, 1}, kFloat64));
             }),
             Contains("batch axes") && Contains("[2, 2, 2]") && Contains("[3, 2, 1]"));
  CHECK_THAT(error_of([] {
               solve_triangular(zeros({2, 2}, kFloat64), ones({2, 1}, kFloat64));
             }),
             Contains("A is singular (diagonal entry 0 of matrix 0 is 0)"));
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THAT(
      error_of([&] {
        solve_triangular(from_vector<double>({1, 0, 0, -inf}, {2, 2}), ones({2, 1}, kFloat64));
      }),
      Contains("singular") && Contains("diagonal entry 1"));
  // A unit diagonal is not read, so zeros there are fine.
  check_close(
      solve_triangular(zeros({2, 2}, kFloat64), ones({2, 1}, kFloat64), {.unitriangular = true}),
      {1, 1});
  CHECK_THAT(error_of([] {
               solve_triangular(eye(2, kFloat64), ones({2, 1}, kFloat32));
             }),
             Contains("solve_triangular") && Contains("float64") && Contains("float32"));
}

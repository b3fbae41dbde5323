// matmul (1-D, 2-D and N-D with broadcast batch axes, empty batches and matrices) and transpose
// (t, mT): forward values against loops written here, gradchecks, and shape errors.
#include "tests/support/autograd_helpers.hpp"

#include <algorithm>
#include <utility>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_close;
using tapegrad::test::check_gradients;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::uniform;

namespace {

// NumPy's matmul, by definition: a 1-D left operand is a row, a 1-D right operand a column (the
// added axes are dropped), and the batch axes broadcast (size 1 or missing repeats).
std::pair<Shape, std::vector<double>> matmul_reference(const Tensor& a, const Tensor& b) {
  Shape sa = a.shape(), sb = b.shape();
  if (sa.rank() == 1)
    sa = Shape{1, sa[0]};
  if (sb.rank() == 1)
    sb = Shape{sb[0], 1};
  const std::int64_t m = sa[sa.rank() - 2], k = sa[sa.rank() - 1], n = sb[sb.rank() - 1];
  const int batch_rank = std::max(sa.rank(), sb.rank()) - 2;
  Shape batch;
  for (int i = 0; i < batch_rank; ++i) {
    const int ia = i - (batch_rank - (sa.rank() - 2)), ib = i - (batch_rank - (sb.rank() - 2));
    const std::int64_t size_a = ia >= 0 ? sa[ia] : 1, size_b = ib >= 0 ? sb[ib] : 1;
    batch.push_back(size_a == 1 ? size_b : size_a); // equal, or one of them is 1
  }
  // The flat index of the matrix an operand of batch shape `own` reads for output batch `index`.
  const auto matrix_of = [&](const Shape& s, const std::vector<std::int64_t>& index) {
    std::int64_t flat = 0;
    for (int i = 0; i < s.rank() - 2; ++i) {
      const std::int64_t size = s[i],
                         at = index[static_cast<std::size_t>(i + batch_rank - (s.rank() - 2))];
      flat = flat * size + (size == 1 ? 0 : at);
    }
    return flat;
  };
  const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> c;
  for (std::int64_t i = 0; i < batch.numel(); ++i) {
    const std::vector<std::int64_t> index = tapegrad::test::unravel(i, batch);
    const std::int64_t ma = matrix_of(sa, index), mb = matrix_of(sb, index);
    for (std::int64_t r = 0; r < m; ++r)
      for (std::int64_t col = 0; col < n; ++col) {
        double acc = 0;
        for (std::int64_t p = 0; p < k; ++p)
          acc += av[static_cast<std::size_t>(ma * m * k + r * k + p)] *
                 bv[static_cast<std::size_t>(mb * k * n + p * n + col)];
        c.push_back(acc);
      }
  }
  Shape out = batch;
  if (a.dim() > 1)
    out.push_back(m);
  if (b.dim() > 1)
    out.push_back(n);
  return {out, c};
}

struct MatmulCase {
  Shape a, b, out;
};

const std::vector<MatmulCase>& matmul_cases() {
  static const std::vector<MatmulCase> cases{
      {{3, 4}, {4, 2}, {3, 2}},                // 2-D
      {{1, 5}, {5, 1}, {1, 1}},                //
      {{4}, {4, 3}, {3}},                      // vector times matrix
      {{3, 4}, {4}, {3}},                      // matrix times vector
      {{4}, {4}, {}},                          // dot product
      {{2, 3, 4}, {2, 4, 5}, {2, 3, 5}},       // batched
      {{2, 3, 4}, {4, 5}, {2, 3, 5}},          // 2-D right operand shared by the batch
      {{3, 4}, {2, 4, 5}, {2, 3, 5}},          // 2-D left operand shared by the batch
      {{1, 3, 4}, {3, 4, 2}, {3, 3, 2}},       // batch of one broadcast
      {{3, 3, 4}, {1, 4, 2}, {3, 3, 2}},       //
      {{1, 2, 3}, {1, 3, 2}, {1, 2, 2}},       //
      {{4}, {2, 4, 3}, {2, 3}},                // vector with a batch
      {{2, 3, 4}, {4}, {2, 3}},                //
      {{2, 1, 3, 4}, {5, 4, 2}, {2, 5, 3, 2}}, // N-D: batch axes broadcast both ways
      {{7, 5}, {4, 1, 5, 3}, {4, 1, 7, 3}},    //
      {{3, 1, 2, 2, 3}, {2, 1, 3, 2}, {3, 2, 2, 2, 2}},
      {{3}, {2, 2, 3, 4}, {2, 2, 4}}, // a vector against a 4-D stack
      {{2, 1, 2, 3}, {3}, {2, 1, 2}}, //
      {{0, 7, 5}, {5, 3}, {0, 7, 3}}, // empty batch
      {{7, 5}, {0, 5, 3}, {0, 7, 3}}, //
      {{2, 0}, {0, 3}, {2, 3}},       // empty sums: zeros
      {{0, 4}, {4, 3}, {0, 3}},       // no rows
      {{2, 0, 4}, {4, 3}, {2, 0, 3}}, //
  };
  return cases;
}

// The element of x at multi-index `index` after swapping axes p and q, computed by index.
std::vector<double> transpose_reference(const Tensor& x, int p, int q) {
  Shape out = x.shape();
  std::swap(out[p], out[q]);
  const std::vector<double> values = x.to_vector<double>();
  std::vector<double> y;
  for (std::int64_t flat = 0; flat < out.numel(); ++flat) {
    std::vector<std::int64_t> index = tapegrad::test::unravel(flat, out);
    std::swap(index[static_cast<std::size_t>(p)], index[static_cast<std::size_t>(q)]);
    y.push_back(values[static_cast<std::size_t>(tapegrad::test::ravel(index, x.shape()))]);
  }
  return y;
}

} // namespace

TEST_CASE("matmul: forward values for every supported rank", "[ops][linalg]") {
  FreshTape fresh;
  for (const MatmulCase& c : matmul_cases()) {
    INFO(c.a.str() << " @ " << c.b.str());
    const Tensor a = uniform(c.a, 101, -2, 2), b = uniform(c.b, 102, -2, 2);
    const auto [shape, expected] = matmul_reference(a, b);
    REQUIRE(shape == c.out);
    const Tensor y = matmul(a, b);
    CHECK(y.shape() == c.out);
    check_close(y, expected, 1e-14);
    check_close(a.matmul(b), expected, 1e-14);

    const Tensor a32 = a.to(kFloat32), b32 = b.to(kFloat32);
    const Tensor y32 = matmul(a32, b32);
    CHECK(y32.dtype() == kFloat32);
    check_close(y32, matmul_reference(a32, b32).second, 1e-5);
  }
}

TEST_CASE("matmul: known product", "[ops][linalg]") {
  const Tensor a = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = from_vector(std::vector<double>{7, 8, 9, 10, 11, 12}, {3, 2});
  check_close(matmul(a, b), {58, 64, 139, 154}, 0);
  check_close(matmul(tensor({1, 2, 3}, kFloat64), tensor({4, 5, 6}, kFloat64)), {32}, 0);
}

TEST_CASE("matmul: gradcheck for every supported rank", "[ops][linalg][gradcheck]") {
  FreshTape fresh;
  const std::uint64_t seed = GENERATE(111, 112);
  for (const MatmulCase& c : matmul_cases()) {
    INFO(c.a.str() << " @ " << c.b.str() << ", seed " << seed);
    const Tensor a = uniform(c.a, seed, -2, 2).requires_grad_();
    const Tensor b = uniform(c.b, seed + 7, -2, 2).requires_grad_();
    const auto f = [](const auto& in) { return matmul(in[0], in[1]); };
    check_gradients(f, {a, b});
    check_gradients(f, {a, b.detach()});
    check_gradients(f, {a.detach(), b});
  }
}

TEST_CASE("matmul: a shared operand gets the gradient summed over the batch", "[ops][linalg]") {
  FreshTape fresh;
  Tensor a = ones({3, 2, 2}, kFloat64).requires_grad_();
  Tensor w = from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}).requires_grad_();
  sum(matmul(a, w)).backward();
  // d sum(A W) / dW[p][q] = sum over batch and rows of A[., p] = 3 * 2.
  check_close(w.grad(), {6, 6, 6, 6});
  // d / dA[i][r][p] = sum_q W[p][q].
  check_close(a.grad(), {3, 7, 3, 7, 3, 7, 3, 7, 3, 7, 3, 7});
}

TEST_CASE("matmul: an empty batch gives an empty result, and backward works", "[ops][linalg]") {
  // Regression: [0, 7, 5] x [5, 3] returned [1, 7, 3] of garbage, and its backward corrupted the
  // heap.
  FreshTape fresh;
  Generator gen(5);
  Tensor a = zeros({0, 7, 5}, kFloat64).requires_grad_();
  Tensor w = randn({5, 3}, gen, kFloat64).requires_grad_();
  const Tensor y = matmul(a, w);
  CHECK(y.shape() == Shape{0, 7, 3});
  sum(y).backward();
  CHECK(a.grad().shape() == Shape{0, 7, 5});
  REQUIRE(w.grad().defined());
  check_close(w.grad(), std::vector<double>(15, 0.0)); // a sum over no rows

  clear_tape();
  Tensor left = randn({7, 5}, gen, kFloat64).requires_grad_();
  Tensor right = zeros({0, 5, 3}, kFloat64).requires_grad_();
  const Tensor z = matmul(left, right);
  CHECK(z.shape() == Shape{0, 7, 3});
  sum(z).backward();
  check_close(left.grad(), std::vector<double>(35, 0.0));
  CHECK(right.grad().shape() == Shape{0, 5, 3});

  clear_tape();
  Tensor empty_sum = zeros({2, 0}, kFloat64).requires_grad_();
  check_close(matmul(empty_sum, zeros({0, 3}, kFloat64)), std::vector<double>(6, 0.0));
}

TEST_CASE("matmul: errors name both shapes", "[ops][linalg][errors]") {
  const Tensor a = zeros({2, 3}, kFloat64);
  CHECK_THAT(error_of([&] {
               matmul(a, zeros({4, 2}, kFloat64));
             }),
             Contains("matmul") && Contains("[2, 3]") && Contains("[4, 2]") &&
                 Contains("do not multiply"));
  CHECK_THAT(error_of([] {
               matmul(zeros({2, 3, 4}, kFloat64), zeros({3, 4, 5}, kFloat64));
             }),
             Contains("[2, 3, 4]") && Contains("[3, 4, 5]") && Contains("batch"));
  CHECK_THAT(error_of([] {
               matmul(zeros({2, 1, 2, 3, 4}), zeros({3, 4, 2}));
             }),
             Contains("[2, 1, 2, 3, 4]") && Contains("[3, 4, 2]") && Contains("batch"));
  CHECK_THAT(error_of([] { matmul(scalar_tensor(1.0), zeros({2})); }),
             Contains("matmul") && Contains("at least 1 dimension"));
  CHECK_THAT(error_of([&] {
               matmul(a, zeros({3, 2}, kFloat32));
             }),
             Contains("matmul") && Contains("dtypes differ"));
  CHECK_THAT(error_of([] {
               matmul(zeros({2, 2}, kInt64), zeros({2, 2}, kInt64));
             }),
             Contains("matmul") && Contains("int64"));
  CHECK_THAT(error_of([] { matmul(zeros({3}), zeros({4})); }), Contains("do not multiply"));
}

TEST_CASE("transpose swaps two axes", "[ops][linalg]") {
  FreshTape fresh;
  const std::vector<std::pair<Shape, std::pair<int, int>>> cases{
      {{2, 3}, {0, 1}},       {{2, 3}, {1, 0}},       {{2, 3, 4}, {0, 2}},
      {{2, 3, 4}, {1, 2}},    {{2, 3, 4}, {0, 1}},    {{2, 3, 4, 5}, {1, 3}},
      {{2, 3, 4, 5}, {0, 3}}, {{2, 3, 4, 5}, {2, 2}}, {{2, 1, 3, 2}, {-1, -3}}};
  const std::uint64_t seed = GENERATE(121, 122);
  for (const auto& [shape, axes] : cases) {
    INFO("shape " << shape.str() << ", axes " << axes.first << " and " << axes.second);
    const Tensor x = uniform(shape, seed, -2, 2);
    const int p = axes.first < 0 ? axes.first + shape.rank() : axes.first;
    const int q = axes.second < 0 ? axes.second + shape.rank() : axes.second;
    Shape expected_shape = shape;
    std::swap(expected_shape[p], expected_shape[q]);
    const Tensor y = transpose(x, axes.first, axes.second);
    CHECK(y.shape() == expected_shape);
    CHECK(y.to_vector<double>() == transpose_reference(x, p, q));
    CHECK(x.transpose(axes.first, axes.second).to_vector<double>() == y.to_vector<double>());
    CHECK(transpose(y, p, q).to_vector<double>() == x.to_vector<double>());

    const Tensor xg = uniform(shape, seed + 1, -2, 2).requires_grad_();
    const std::int64_t axis0 = axes.first, axis1 = axes.second;
    check_gradients([=](const auto& in) { return transpose(in[0], axis0, axis1); }, {xg});
  }
}

TEST_CASE("t and mT", "[ops][linalg]") {
  FreshTape fresh;
  const Tensor m = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor mt = m.t();
  CHECK(mt.shape() == Shape{3, 2});
  CHECK(mt.to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});

  const Tensor batch = uniform({2, 3, 4}, 131, -1, 1);
  const Tensor bt = batch.mT();
  CHECK(bt.shape() == Shape{2, 4, 3});
  CHECK(bt.to_vector<double>() == transpose_reference(batch, 1, 2));
  CHECK(m.mT().to_vector<double>() == mt.to_vector<double>());

  const Tensor xg = uniform({2, 3}, 132, -1, 1).requires_grad_();
  check_gradients([](const auto& in) { return in[0].t(); }, {xg});
  const Tensor bg = uniform({2, 2, 3}, 133, -1, 1).requires_grad_();
  check_gradients([](const auto& in) { return in[0].mT(); }, {bg});
  // A Gram matrix: x^T x uses x twice.
  check_gradients([](const auto& in) { return matmul(in[0].t(), in[0]); }, {xg});

  CHECK_THAT(error_of([&] { batch.t(); }),
             Contains("t: expected a tensor of at most 2 dimensions") && Contains("[2, 3, 4]"));
  // As PyTorch: t() leaves a 0-D or 1-D tensor as it is.
  const Tensor v = tensor({1, 2, 3}, kFloat64);
  CHECK(v.t().shape() == Shape{3});
  CHECK(v.t().to_vector<double>() == v.to_vector<double>());
  CHECK(scalar_tensor(4.0).t().shape() == Shape{});
  const Tensor vg = uniform({3}, 134, -1, 1).requires_grad_();
  check_gradients([](const auto& in) { return in[0].t() * 2.0; }, {vg});
  CHECK_THAT(error_of([] { tensor({1, 2}).mT(); }), Contains("mT") && Contains("[2]"));
  CHECK_THAT(error_of([&] { transpose(m, 0, 2); }),
             Contains("transpose") && Contains("axis 2 is out of range"));
}

TEST_CASE("linear: equals matmul with the transposed weight plus the bias", "[ops][linalg]") {
  FreshTape fresh;
  for (bool with_bias : {true, false}) {
    INFO("bias " << with_bias);
    const Tensor x = uniform({7, 5}, 301, -2, 2);
    const Tensor w = uniform({3, 5}, 302, -2, 2);
    const Tensor b = with_bias ? uniform({3}, 303, -2, 2) : Tensor();
    const Tensor want = with_bias ? matmul(x, w.t()) + b : matmul(x, w.t());
    check_close(linear(x, w, b), want.to_vector<double>(), 1e-12);
  }
}

TEST_CASE("linear: gradcheck with and without a bias", "[ops][linalg][gradcheck]") {
  FreshTape fresh;
  const Tensor x = uniform({6, 4}, 311, -2, 2).requires_grad_();
  const Tensor w = uniform({3, 4}, 312, -2, 2).requires_grad_();
  const Tensor b = uniform({3}, 313, -2, 2).requires_grad_();
  check_gradients([](const auto& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
  check_gradients([](const auto& in) { return linear(in[0], in[1]); }, {x, w});
  check_gradients([](const auto& in) { return linear(in[0], in[1], in[2]); },
                  {x.detach(), w, b.detach()});
}

TEST_CASE("linear: the weight's gradient accumulates over backward passes", "[ops][linalg]") {
  FreshTape fresh;
  const Tensor x = uniform({6, 4}, 321, -2, 2);
  Tensor w = uniform({3, 4}, 322, -2, 2).requires_grad_();
  Tensor b = uniform({3}, 323, -2, 2).requires_grad_();
  linear(x, w, b).sum().backward();
  const std::vector<double> once = w.grad().to_vector<double>();
  const std::vector<double> bias_once = b.grad().to_vector<double>();
  clear_tape();
  linear(x, w, b).sum().backward();
  clear_tape();
  std::vector<double> twice = once, bias_twice = bias_once;
  for (double& v : twice)
    v *= 2;
  for (double& v : bias_twice)
    v *= 2;
  check_close(w.grad(), twice, 1e-12);
  check_close(b.grad(), bias_twice, 1e-12);
  CHECK_THROWS_AS(linear(uniform({2, 5}, 1, 0, 1), w, b), Error);
}

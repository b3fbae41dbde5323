// eye, tril, triu, diagonal, diag_embed and diag: forward values against index formulas written
// here, gradchecks, PyTorch's offsets and axes, and errors.
#include "tests/support/autograd_helpers.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_close;
using tapegrad::test::check_gradients;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::ravel;
using tapegrad::test::uniform;
using tapegrad::test::unravel;

namespace {

// x with the entries outside the triangle (on the last two axes, from diagonal k) set to 0.
std::vector<double> triangle_reference(const Tensor& x, std::int64_t k, bool lower) {
  std::vector<double> values = x.to_vector<double>();
  for (std::int64_t flat = 0; flat < x.numel(); ++flat) {
    const std::vector<std::int64_t> index = unravel(flat, x.shape());
    const std::int64_t i = index[index.size() - 2], j = index.back();
    if (lower ? j - i > k : j - i < k)
      values[static_cast<std::size_t>(flat)] = 0.0;
  }
  return values;
}

// The diagonal by its definition: out[rest..., t] = x[..., row + t at dim1, ..., col + t at dim2].
std::vector<double> diagonal_reference(const Tensor& x, std::int64_t offset, int p, int q) {
  const Shape& s = x.shape();
  const std::int64_t row = std::max<std::int64_t>(0, -offset),
                     col = std::max<std::int64_t>(0, offset);
  const std::int64_t length = std::max<std::int64_t>(0, std::min(s[p] - row, s[q] - col));
  Shape out;
  for (int i = 0; i < s.rank(); ++i)
    if (i != p && i != q)
      out.push_back(s[i]);
  out.push_back(length);
  const std::vector<double> values = x.to_vector<double>();
  std::vector<double> result;
  for (std::int64_t flat = 0; flat < out.numel(); ++flat) {
    const std::vector<std::int64_t> o = unravel(flat, out);
    std::vector<std::int64_t> index;
    for (int i = 0, from = 0; i < s.rank(); ++i)
      index.push_back(i == p   ? row + o.back()
                      : i == q ? col + o.back()
                               : o[static_cast<std::size_t>(from++)]);
    result.push_back(values[static_cast<std::size_t>(ravel(index, s))]);
  }
  return result;
}

} // namespace

TEST_CASE("eye makes identity matrices", "[ops][matrix]") {
  check_close(eye(3, kFloat64), {1, 0, 0, 0, 1, 0, 0, 0, 1});
  const Tensor wide = eye(2, 3);
  CHECK(wide.shape() == Shape{2, 3});
  CHECK(wide.dtype() == kFloat32);
  check_close(wide, {1, 0, 0, 0, 1, 0});
  CHECK(eye(0).shape() == Shape{0, 0});
  CHECK(eye(2, kInt64).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 0, 1});
  CHECK_THAT(error_of([] { eye(-1); }), Contains("eye") && Contains("-1"));
}

TEST_CASE("tril and triu keep one triangle from the k-th diagonal", "[ops][matrix]") {
  FreshTape fresh;
  for (const Shape& shape :
       {Shape{4, 4}, Shape{3, 5}, Shape{2, 5, 3}, Shape{2, 1, 3, 3}, Shape{0, 2}})
    for (std::int64_t k : {-2, -1, 0, 1, 3}) {
      INFO(shape.str() << ", k " << k);
      const Tensor x = uniform(shape, 11, -2, 2);
      check_close(tril(x, k), triangle_reference(x, k, true), 0);
      check_close(triu(x, k), triangle_reference(x, k, false), 0);
      check_close(x.tril(k), triangle_reference(x, k, true), 0);
      check_close(x.triu(k), triangle_reference(x, k, false), 0);
      const Tensor xg = x.detach().requires_grad_();
      check_gradients([k](const auto& in) { return tril(in[0], k); }, {xg});
      check_gradients([k](const auto& in) { return triu(in[0], k); }, {xg});
    }
  CHECK(tril(eye(2, kInt64)).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 0, 1});
  CHECK_THAT(error_of([] { tril(zeros({3})); }), Contains("tril") && Contains("[3]"));
}

TEST_CASE("diagonal takes the k-th diagonal of any two axes, as a new last axis", "[ops][matrix]") {
  FreshTape fresh;
  struct Case {
    Shape shape;
    std::int64_t offset, dim1, dim2;
  };
  for (const Case& c : std::vector<Case>{{{4, 4}, 0, 0, 1},
                                         {{3, 5}, 1, 0, 1},
                                         {{3, 5}, -1, 0, 1},
                                         {{3, 5}, 7, 0, 1}, // past the corner: empty
                                         {{2, 3, 3}, 0, -2, -1},
                                         {{3, 2, 4}, 1, 0, 2},
                                         {{3, 2, 4}, -1, 2, 0}, // dim1 after dim2
                                         {{2, 3, 4, 3}, 0, 1, 3}}) {
    INFO(c.shape.str() << ", offset " << c.offset << ", dims " << c.dim1 << " and " << c.dim2);
    const Tensor x = uniform(c.shape, 21, -2, 2);
    const int p = static_cast<int>(c.dim1 < 0 ? c.dim1 + c.shape.rank() : c.dim1);
    const int q = static_cast<int>(c.dim2 < 0 ? c.dim2 + c.shape.rank() : c.dim2);
    const std::vector<double> want = diagonal_reference(x, c.offset, p, q);
    const Tensor y = diagonal(x, c.offset, c.dim1, c.dim2);
    check_close(y, want, 0);
    check_close(x.diagonal(c.offset, c.dim1, c.dim2), want, 0);
    CHECK(y.dim() == c.shape.rank() - 1);
    const Tensor xg = x.detach().requires_grad_();
    check_gradients([c](const auto& in) { return diagonal(in[0], c.offset, c.dim1, c.dim2); },
                    {xg});
    // diag_embed puts it back: the diagonal of the embedding is the input again.
    const Tensor back = diag_embed(y, c.offset, c.dim1, c.dim2);
    check_close(diagonal(back, c.offset, c.dim1, c.dim2), want, 0);
  }
  CHECK_THAT(error_of([] {
               diagonal(zeros({2, 2}), 0, 1, -1);
             }),
             Contains("diagonal") && Contains("must differ"));
  CHECK_THAT(error_of([] {
               diagonal(zeros({2, 2}), 0, 0, 2);
             }),
             Contains("diagonal") && Contains("axis 2"));
}

TEST_CASE("diag_embed builds matrices with the last axis on a diagonal", "[ops][matrix]") {
  FreshTape fresh;
  const Tensor v = tensor({1, 2}, kFloat64);
  check_close(diag_embed(v), {1, 0, 0, 2});
  const Tensor above = diag_embed(v, 1);
  CHECK(above.shape() == Shape{3, 3});
  check_close(above, {0, 1, 0, 0, 0, 2, 0, 0, 0});
  check_close(diag_embed(v, -1), {0, 0, 0, 1, 0, 0, 0, 2, 0});
  const Tensor batch = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor m = batch.diag_embed();
  CHECK(m.shape() == Shape{2, 3, 3});
  check_close(diagonal(m, 0, -2, -1), {1, 2, 3, 4, 5, 6});
  // Other axes: the matrices span axes 0 and 2 of the output.
  const Tensor spread = diag_embed(batch, 0, 0, 2);
  CHECK(spread.shape() == Shape{3, 2, 3});
  CHECK(spread.at({1, 0, 1}) == 2.0);
  CHECK(spread.at({2, 1, 2}) == 6.0);
  CHECK(spread.at({1, 1, 2}) == 0.0);
  for (std::int64_t offset : {-1, 0, 2}) {
    INFO("offset " << offset);
    check_gradients([offset](const auto& in) { return diag_embed(in[0], offset); },
                    {uniform({2, 3}, 31, -1, 1).requires_grad_()});
    check_gradients([offset](const auto& in) { return diag_embed(in[0], offset, 2, 0); },
                    {uniform({2, 3}, 32, -1, 1).requires_grad_()});
  }
  CHECK_THAT(error_of([] { diag_embed(scalar_tensor(1.0)); }), Contains("diag_embed"));
}

TEST_CASE("diag: a vector becomes a matrix, a matrix gives its diagonal", "[ops][matrix]") {
  FreshTape fresh;
  check_close(diag(tensor({1, 2}, kFloat64)), {1, 0, 0, 2});
  check_close(diag(tensor({1, 2}, kFloat64), 1), {0, 1, 0, 0, 0, 2, 0, 0, 0});
  const Tensor m = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  check_close(diag(m), {1, 5});
  check_close(diag(m, 1), {2, 6});
  check_close(diag(m, -1), {4});
  check_gradients([](const auto& in) { return diag(in[0], -1); },
                  {uniform({3, 3}, 41, -1, 1).requires_grad_()});
  CHECK_THAT(error_of([] { diag(zeros({2, 2, 2})); }), Contains("diag") && Contains("[2, 2, 2]"));
}

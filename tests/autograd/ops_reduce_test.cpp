// Reductions: sum, mean, amax/amin, max/min with their indices, argmax/argmin (over everything and
// along each axis, with and without keepdim, and over axis 0 of a 0-D tensor), logsumexp,
// log_softmax and softmax; forward values against loops written here, gradchecks, NaN, and the
// stability of the log-space ops at ±1e4.
#include "tests/support/autograd_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_close;
using tapegrad::test::check_gradients;
using tapegrad::test::distinct;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::uniform;

namespace {

using Row = std::vector<double>;

// Applies `reduce` to every line of x along `axis`; the result has x's shape without that axis
// (or with size 1 there when keepdim).
std::vector<double> reduce_reference(const Tensor& x, int axis,
                                     const std::function<double(const Row&)>& reduce) {
  const Shape& s = x.shape();
  const std::vector<double> values = x.to_vector<double>();
  Shape reduced_shape = s;
  reduced_shape[axis] = 1;
  std::vector<double> out;
  for (std::int64_t flat = 0; flat < reduced_shape.numel(); ++flat) {
    std::vector<std::int64_t> index = tapegrad::test::unravel(flat, reduced_shape);
    Row row;
    for (std::int64_t j = 0; j < s[axis]; ++j) {
      index[static_cast<std::size_t>(axis)] = j;
      row.push_back(values[static_cast<std::size_t>(tapegrad::test::ravel(index, s))]);
    }
    out.push_back(reduce(row));
  }
  return out;
}

// Maps every line of x along `axis` to a line of the same length.
std::vector<double> map_rows_reference(const Tensor& x, int axis,
                                       const std::function<Row(const Row&)>& f) {
  const Shape& s = x.shape();
  const std::vector<double> values = x.to_vector<double>();
  std::vector<double> out(values.size());
  Shape reduced_shape = s;
  reduced_shape[axis] = 1;
  for (std::int64_t flat = 0; flat < reduced_shape.numel(); ++flat) {
    std::vector<std::int64_t> index = tapegrad::test::unravel(flat, reduced_shape);
    Row row;
    std::vector<std::size_t> positions;
    for (std::int64_t j = 0; j < s[axis]; ++j) {
      index[static_cast<std::size_t>(axis)] = j;
      positions.push_back(static_cast<std::size_t>(tapegrad::test::ravel(index, s)));
      row.push_back(values[positions.back()]);
    }
    const Row mapped = f(row);
    for (std::size_t j = 0; j < positions.size(); ++j)
      out[positions[j]] = mapped[j];
  }
  return out;
}

Shape reduced(const Shape& s, int axis, bool keepdim) {
  Shape out;
  for (int i = 0; i < s.rank(); ++i)
    if (i != axis)
      out.push_back(s[i]);
    else if (keepdim)
      out.push_back(1);
  return out;
}

double row_sum(const Row& r) {
  double acc = 0;
  for (double v : r)
    acc += v;
  return acc;
}
double row_mean(const Row& r) {
  return row_sum(r) / static_cast<double>(r.size());
}
double row_max(const Row& r) {
  return *std::max_element(r.begin(), r.end());
}
double row_min(const Row& r) {
  return *std::min_element(r.begin(), r.end());
}
// Naive: fine for the moderate inputs of these tests.
double row_logsumexp(const Row& r) {
  double acc = 0;
  for (double v : r)
    acc += std::exp(v);
  return std::log(acc);
}
Row row_log_softmax(const Row& r) {
  Row out;
  for (double v : r)
    out.push_back(v - row_logsumexp(r));
  return out;
}
Row row_softmax(const Row& r) {
  Row out;
  for (double v : r)
    out.push_back(std::exp(v) / std::exp(row_logsumexp(r)));
  return out;
}

struct AxisReduction {
  const char* name;
  std::function<Tensor(const Tensor&, std::int64_t, bool)> op;
  std::function<Tensor(const Tensor&)> op_all;
  std::function<double(const Row&)> reference;
  bool distinct; // max: no ties
};

const std::vector<AxisReduction>& reductions() {
  static const std::vector<AxisReduction> cases{
      {"sum", [](const Tensor& x, std::int64_t a, bool k) { return sum(x, a, k); },
       [](const Tensor& x) { return sum(x); }, row_sum, false},
      {"mean", [](const Tensor& x, std::int64_t a, bool k) { return mean(x, a, k); },
       [](const Tensor& x) { return mean(x); }, row_mean, false},
      {"max", [](const Tensor& x, std::int64_t a, bool k) { return max(x, a, k).values; },
       [](const Tensor& x) { return max(x); }, row_max, true},
      {"min", [](const Tensor& x, std::int64_t a, bool k) { return min(x, a, k).values; },
       [](const Tensor& x) { return min(x); }, row_min, true},
      {"amax", [](const Tensor& x, std::int64_t a, bool k) { return amax(x, a, k); },
       [](const Tensor& x) { return amax(x); }, row_max, true},
      {"amin", [](const Tensor& x, std::int64_t a, bool k) { return amin(x, a, k); },
       [](const Tensor& x) { return amin(x); }, row_min, true},
      {"logsumexp", [](const Tensor& x, std::int64_t a, bool k) { return logsumexp(x, a, k); },
       nullptr, row_logsumexp, false},
      {"method sum", [](const Tensor& x, std::int64_t a, bool k) { return x.sum(a, k); },
       [](const Tensor& x) { return x.sum(); }, row_sum, false},
      {"method mean", [](const Tensor& x, std::int64_t a, bool k) { return x.mean(a, k); },
       [](const Tensor& x) { return x.mean(); }, row_mean, false},
      {"method max", [](const Tensor& x, std::int64_t a, bool k) { return x.max(a, k).values; },
       [](const Tensor& x) { return x.max(); }, row_max, true},
      {"method min", [](const Tensor& x, std::int64_t a, bool k) { return x.min(a, k).values; },
       [](const Tensor& x) { return x.min(); }, row_min, true},
      {"method amax", [](const Tensor& x, std::int64_t a, bool k) { return x.amax(a, k); },
       [](const Tensor& x) { return x.amax(); }, row_max, true},
      {"method amin", [](const Tensor& x, std::int64_t a, bool k) { return x.amin(a, k); },
       [](const Tensor& x) { return x.amin(); }, row_min, true},
      {"method logsumexp",
       [](const Tensor& x, std::int64_t a, bool k) { return x.logsumexp(a, k); }, nullptr,
       row_logsumexp, false},
  };
  return cases;
}

Tensor reduction_input(const AxisReduction& r, const Shape& shape, std::uint64_t seed,
                       DType dtype = kFloat64) {
  return r.distinct ? distinct(shape, seed, dtype) : uniform(shape, seed, -2, 2, dtype);
}

} // namespace

TEST_CASE("reductions along each axis: forward values and shapes", "[ops][reduce]") {
  FreshTape fresh;
  const Shape shape{2, 3, 4};
  for (const AxisReduction& r : reductions())
    for (int axis = 0; axis < 3; ++axis)
      for (bool keepdim : {false, true}) {
        INFO(r.name << " along axis " << axis << (keepdim ? " keepdim" : ""));
        const Tensor x = reduction_input(r, shape, 71);
        const std::vector<double> expected = reduce_reference(x, axis, r.reference);
        const Tensor y = r.op(x, axis, keepdim);
        CHECK(y.shape() == reduced(shape, axis, keepdim));
        check_close(y, expected, 1e-14);
        const Tensor negative_axis = r.op(x, axis - 3, keepdim);
        CHECK(negative_axis.shape() == y.shape());
        check_close(negative_axis, expected, 1e-14);

        const Tensor x32 = reduction_input(r, shape, 72, kFloat32);
        const Tensor y32 = r.op(x32, axis, keepdim);
        CHECK(y32.dtype() == kFloat32);
        check_close(y32, reduce_reference(x32, axis, r.reference), 1e-6);
      }
}

TEST_CASE("reductions over all elements give a scalar", "[ops][reduce]") {
  FreshTape fresh;
  for (const AxisReduction& r : reductions()) {
    if (!r.op_all)
      continue;
    INFO(r.name);
    for (const Shape& shape : {Shape{}, Shape{5}, Shape{2, 3, 4}}) {
      const Tensor x = reduction_input(r, shape, 73);
      const Tensor y = r.op_all(x);
      CHECK(y.shape() == Shape{});
      check_close(y, {r.reference(x.to_vector<double>())}, 1e-14);
      const Tensor x32 = reduction_input(r, shape, 74, kFloat32);
      check_close(r.op_all(x32), {r.reference(x32.to_vector<double>())}, 1e-6);
    }
  }
}

TEST_CASE("reductions: gradcheck along every axis and over all", "[ops][reduce][gradcheck]") {
  FreshTape fresh;
  const Shape shape = GENERATE(Shape{2, 3, 4}, Shape{3, 1, 2}, Shape{5});
  const std::uint64_t seed = GENERATE(81, 82);
  for (const AxisReduction& r : reductions()) {
    const Tensor x = reduction_input(r, shape, seed).requires_grad_();
    for (int axis = 0; axis < shape.rank(); ++axis)
      for (bool keepdim : {false, true}) {
        INFO(r.name << " on " << shape.str() << " along axis " << axis
                    << (keepdim ? " keepdim" : "") << ", seed " << seed);
        check_gradients([&r, axis, keepdim](const auto& in) { return r.op(in[0], axis, keepdim); },
                        {x});
      }
    if (r.op_all) {
      INFO(r.name << " over all of " << shape.str());
      check_gradients([&r](const auto& in) { return r.op_all(in[0]); }, {x});
    }
  }
}

TEST_CASE("sum and mean of a scalar", "[ops][reduce]") {
  FreshTape fresh;
  Tensor s = scalar_tensor(2.5, kFloat64).requires_grad_();
  check_close(sum(s), {2.5});
  check_close(max(s), {2.5});
  const Tensor m = mean(s);
  CHECK(m.shape() == Shape{});
  m.backward();
  check_close(s.grad(), {1.0});
}

TEST_CASE("mean divides the gradient by the count", "[ops][reduce]") {
  FreshTape fresh;
  Tensor x = zeros({2, 4}, kFloat64).requires_grad_();
  sum(mean(x, 1)).backward();
  check_close(x.grad(), std::vector<double>(8, 0.25));
}

TEST_CASE("amax and max(x) share the gradient among tied maxima", "[ops][reduce]") {
  FreshTape fresh;
  Tensor x = from_vector(std::vector<double>{1, 3, 3, 2, 0, -1}, {2, 3}).requires_grad_();
  const Tensor y = amax(x, 1);
  check_close(y, {3, 2});
  sum(y).backward();
  check_close(x.grad(), {0, 0.5, 0.5, 1, 0, 0});

  clear_tape();
  x.zero_grad();
  max(x).backward();
  check_close(x.grad(), {0, 0.5, 0.5, 0, 0, 0});

  clear_tape();
  x.zero_grad();
  amin(x).backward();
  check_close(x.grad(), {0, 0, 0, 0, 0, 1});
}

TEST_CASE("max and min along an axis return values and indices; the gradient goes to the index",
          "[ops][reduce]") {
  FreshTape fresh;
  Tensor x = from_vector(std::vector<double>{1, 3, 3, 2, 0, -1, 5, 5, 4}, {3, 3}).requires_grad_();
  const auto [values, indices] = max(x, 1);
  check_close(values, {3, 2, 5});
  CHECK(indices.dtype() == kInt64);
  CHECK(indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 0}); // first of ties
  sum(values).backward();
  check_close(x.grad(), {0, 1, 0, 1, 0, 0, 1, 0, 0});
  CHECK_FALSE(indices.requires_grad());

  clear_tape();
  const auto by_column = x.min(0, true);
  CHECK(by_column.values.shape() == Shape{1, 3});
  check_close(by_column.values, {1, 0, -1});
  CHECK(by_column.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 1});
  CHECK(argmax(x, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 0});
  CHECK(argmin(x, 0).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 1});
  CHECK(argmax(x).item<std::int64_t>() == 6); // flattened, first of the ties
  CHECK(x.argmin().item<std::int64_t>() == 5);
  CHECK(argmax(x).shape() == Shape{});
  CHECK(x.argmax(1, true).shape() == Shape{3, 1});
}

TEST_CASE("reductions of a 0-D tensor along axis 0 or -1, as PyTorch", "[ops][reduce]") {
  FreshTape fresh;
  Tensor s = scalar_tensor(-1.5, kFloat64).requires_grad_();
  for (std::int64_t axis : {0, -1})
    for (bool keepdim : {false, true}) {
      INFO("axis " << axis << (keepdim ? " keepdim" : ""));
      for (const Tensor& y : {sum(s, axis, keepdim), mean(s, axis, keepdim), amax(s, axis, keepdim),
                              amin(s, axis, keepdim), max(s, axis, keepdim).values,
                              min(s, axis, keepdim).values, logsumexp(s, axis, keepdim)}) {
        CHECK(y.shape() == Shape{});
        check_close(y, {-1.5});
      }
      CHECK(max(s, axis, keepdim).indices.item<std::int64_t>() == 0);
      CHECK(argmin(s, axis, keepdim).shape() == Shape{});
      check_close(softmax(s, axis), {1.0});
      check_close(log_softmax(s, axis), {0.0});
    }
  sum(s, 0).backward();
  check_close(s.grad(), {1.0});
  CHECK_THAT(error_of([&] { sum(s, 1); }), Contains("sum") && Contains("axis 1"));
  CHECK_THAT(error_of([&] { amax(s, -2); }), Contains("amax") && Contains("axis -2"));
}

TEST_CASE("max, min and their kin propagate NaN, with the index of the first NaN",
          "[ops][reduce]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = from_vector(std::vector<double>{1, nan, 3, nan, 2, 5, 0, -1}, {2, 4});
  for (const Tensor& y : {amax(x, 1), amin(x, 1), max(x, 1).values, min(x, 1).values})
    CHECK(std::isnan(y.to_vector<double>()[0]));
  check_close(amax(x, 1).slice(0, 1, 2), {5});
  CHECK(max(x, 1).indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1});
  CHECK(argmin(x, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 3});
  CHECK(std::isnan(max(x).item<double>()));
  CHECK(std::isnan(logsumexp(x, 1).to_vector<double>()[0]));
  CHECK(std::isnan(softmax(x, 1).to_vector<double>()[0]));
  CHECK(std::isnan(sum(x).item<double>()));
  CHECK(std::isnan(mean(x, 1).to_vector<double>()[0]));
  // amax's gradient goes to the NaN it returned.
  Tensor xg = x.detach().requires_grad_();
  FreshTape fresh;
  sum(amax(xg, 1)).backward();
  const std::vector<double> g = xg.grad().to_vector<double>();
  CHECK(g == std::vector<double>{0, 0.5, 0, 0.5, 0, 1, 0, 0}); // NaNs tie
}

TEST_CASE("reduction errors name the op and the axis", "[ops][reduce][errors]") {
  const Tensor x = zeros({2, 3}, kFloat64);
  CHECK_THAT(error_of([&] { sum(x, 2); }),
             Contains("sum") && Contains("axis 2 is out of range") && Contains("rank 2"));
  CHECK_THAT(error_of([&] { mean(x, -3); }), Contains("mean") && Contains("axis -3"));
  CHECK_THAT(error_of([&] { logsumexp(x, 5); }), Contains("logsumexp") && Contains("axis 5"));
  CHECK_THAT(error_of([] {
               max(zeros({2, 0}), 1);
             }),
             Contains("max") && Contains("empty axis") && Contains("[2, 0]"));
  CHECK_THAT(error_of([] { amin(zeros({0})); }), Contains("amin") && Contains("empty axis"));
  CHECK_THAT(error_of([] {
               argmax(zeros({3, 0}), 1);
             }),
             Contains("argmax") && Contains("empty axis"));
  CHECK_THAT(error_of([] { mean(zeros({2}, kInt64)); }), Contains("mean") && Contains("int64"));
  CHECK_THAT(error_of([] { softmax(zeros({2}, kInt64), 0); }),
             Contains("softmax") && Contains("int64"));
  CHECK_THAT(error_of([] { sum(zeros({2}, kInt64), 0); }), Contains("sum") && Contains("int64"));
}

TEST_CASE("log_softmax and softmax along each axis", "[ops][reduce]") {
  FreshTape fresh;
  const Shape shape{2, 3, 4};
  for (int axis = 0; axis < 3; ++axis) {
    INFO("axis " << axis);
    const Tensor x = uniform(shape, 91, -3, 3);
    check_close(log_softmax(x, axis), map_rows_reference(x, axis, row_log_softmax), 1e-14);
    check_close(x.log_softmax(axis - 3), map_rows_reference(x, axis, row_log_softmax), 1e-14);
    const Tensor p = softmax(x, axis);
    CHECK(p.shape() == shape);
    check_close(p, map_rows_reference(x, axis, row_softmax), 1e-14);
    check_close(x.softmax(axis), map_rows_reference(x, axis, row_softmax), 1e-14);
    check_close(sum(p, axis), std::vector<double>(static_cast<std::size_t>(24 / shape[axis]), 1.0),
                1e-14);

    const Tensor x32 = uniform(shape, 92, -3, 3, kFloat32);
    check_close(log_softmax(x32, axis), map_rows_reference(x32, axis, row_log_softmax), 1e-6);
    check_close(softmax(x32, axis), map_rows_reference(x32, axis, row_softmax), 1e-6);
  }
}

TEST_CASE("log_softmax and softmax: gradcheck along each axis", "[ops][reduce][gradcheck]") {
  FreshTape fresh;
  const Shape shape = GENERATE(Shape{2, 3, 4}, Shape{4}, Shape{3, 1});
  const std::uint64_t seed = GENERATE(93, 94);
  const Tensor x = uniform(shape, seed, -3, 3).requires_grad_();
  for (int axis = 0; axis < shape.rank(); ++axis) {
    INFO("shape " << shape.str() << ", axis " << axis << ", seed " << seed);
    check_gradients([axis](const auto& in) { return log_softmax(in[0], axis); }, {x});
    check_gradients([axis](const auto& in) { return softmax(in[0], axis); }, {x});
  }
}

TEST_CASE("logsumexp and log_softmax are stable at inputs of magnitude 1e4", "[ops][reduce]") {
  FreshTape fresh;
  SECTION("float64 values and gradients") {
    Tensor big = tensor({1e4, 1e4}, kFloat64).requires_grad_();
    const Tensor lse = logsumexp(big, 0);
    check_close(lse, {1e4 + std::log(2.0)}, 1e-15);
    lse.backward();
    // exp(x - y): y = 1e4 + log 2 is rounded to the 1.8e-12 spacing of doubles near 1e4, so the
    // softmax is 0.5 to within about 1e-12, not to the last bit.
    check_close(big.grad(), {0.5, 0.5}, 1e-11);

    clear_tape();
    Tensor small = tensor({-1e4, -1e4, -1e4}, kFloat64).requires_grad_();
    check_close(logsumexp(small, 0), {-1e4 + std::log(3.0)}, 1e-15);

    Tensor mixed = tensor({-1e4, 1e4}, kFloat64).requires_grad_();
    const Tensor ls = log_softmax(mixed, 0);
    check_close(ls, {-2e4, 0.0}, 1e-15);
    check_close(softmax(mixed, 0), {0.0, 1.0}, 1e-15);
    // d/dx of sum_j w_j log_softmax_j = w - softmax * sum(w), with softmax = [0, 1].
    sum(ls * tensor({1.0, 2.0}, kFloat64)).backward();
    check_close(mixed.grad(), {1.0, -1.0}, 1e-15);
  }
  SECTION("along an inner axis, keepdim") {
    Tensor x = from_vector(std::vector<double>{1e4, -1e4, 1e4, -1e4}, {2, 2}).requires_grad_();
    const Tensor lse = logsumexp(x, 0, true);
    CHECK(lse.shape() == Shape{1, 2});
    check_close(lse, {1e4 + std::log(2.0), -1e4 + std::log(2.0)}, 1e-15);
    sum(lse).backward();
    check_close(x.grad(), {0.5, 0.5, 0.5, 0.5}, 1e-11); // as above
    for (double g : x.grad().to_vector<double>())
      CHECK(std::isfinite(g));
  }
  SECTION("float32") {
    check_close(logsumexp(tensor({1e4f, 1e4f}), 0), {1e4 + std::log(2.0)}, 1e-6);
    check_close(log_softmax(tensor({-1e4f, 1e4f}), 0), {-2e4, 0.0}, 1e-6);
    check_close(softmax(tensor({1e4f, 0.0f, -1e4f}), 0), {1.0, 0.0, 0.0}, 1e-6);
  }
  SECTION("all -inf gives -inf, not NaN") {
    const double inf = std::numeric_limits<double>::infinity();
    const Tensor y = logsumexp(tensor({-inf, -inf}, kFloat64), 0);
    CHECK(y.item<double>() == -inf);
  }
}

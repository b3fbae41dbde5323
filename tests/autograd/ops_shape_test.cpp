// Ops that move elements: reshape, unsqueeze, squeeze, slice, cat, index_select, gather, and the
// conversions to(dtype) and clone. Forward values against index arithmetic written here,
// gradchecks, and errors.
#include "tests/support/autograd_helpers.hpp"

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

Tensor int64_tensor(const std::vector<std::int64_t>& values, const Shape& shape) {
  return from_vector(values, shape);
}

// x[..., start:end:step, ...] along `axis` with Python's rules for the bounds, by index.
std::pair<Shape, std::vector<double>> slice_reference(const Tensor& x, int axis, std::int64_t start,
                                                      std::int64_t end, std::int64_t step) {
  const Shape& s = x.shape();
  const std::int64_t n = s[axis];
  std::vector<std::int64_t> kept;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t lo = start < 0 ? std::max<std::int64_t>(start + n, 0) : std::min(start, n);
    const std::int64_t hi = end < 0 ? std::max<std::int64_t>(end + n, 0) : std::min(end, n);
    if (i >= lo && i < hi && (i - lo) % step == 0)
      kept.push_back(i);
  }
  Shape out = s;
  out[axis] = static_cast<std::int64_t>(kept.size());
  const std::vector<double> values = x.to_vector<double>();
  std::vector<double> y;
  for (std::int64_t flat = 0; flat < out.numel(); ++flat) {
    std::vector<std::int64_t> index = unravel(flat, out);
    index[static_cast<std::size_t>(axis)] = kept[static_cast<std::size_t>(index[axis])];
    y.push_back(values[static_cast<std::size_t>(ravel(index, s))]);
  }
  return {out, y};
}

} // namespace

TEST_CASE("reshape, unsqueeze and squeeze keep the elements in order", "[ops][shape]") {
  FreshTape fresh;
  const Tensor x = uniform({2, 3, 4}, 141, -1, 1);
  const std::vector<double> values = x.to_vector<double>();
  const std::vector<std::pair<std::vector<std::int64_t>, Shape>> cases{
      {{24}, {24}},      {{-1}, {24}},
      {{4, -1}, {4, 6}}, {{2, -1, 3}, {2, 4, 3}},
      {{6, 4}, {6, 4}},  {{1, 24, 1}, {1, 24, 1}},
      {{-1, 1}, {24, 1}}};
  for (const auto& [request, expected] : cases) {
    const Tensor y = reshape(x, request);
    CHECK(y.shape() == expected);
    CHECK(y.to_vector<double>() == values);
  }
  CHECK(reshape(scalar_tensor(3.0), {1, 1}).shape() == Shape{1, 1});
  CHECK(reshape(ones({1, 1}), {}).shape() == Shape{});

  CHECK(unsqueeze(x, 0).shape() == Shape{1, 2, 3, 4});
  CHECK(unsqueeze(x, 3).shape() == Shape{2, 3, 4, 1});
  CHECK(x.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(unsqueeze(x, 1).shape() == Shape{2, 1, 3, 4});
  CHECK(unsqueeze(x, 1).to_vector<double>() == values);
  const Tensor z = reshape(x, {2, 1, 12, 1});
  CHECK(squeeze(z, 1).shape() == Shape{2, 12, 1});
  CHECK(z.squeeze(-1).shape() == Shape{2, 1, 12});
  CHECK(squeeze(z, -1).to_vector<double>() == values);

  CHECK_THAT(error_of([&] {
               reshape(x, {5, -1});
             }),
             Contains("reshape") && Contains("-1") && Contains("[2, 3, 4]"));
  CHECK_THAT(error_of([&] {
               reshape(x, {5, 5});
             }),
             Contains("reshape") && Contains("[2, 3, 4]") && Contains("[5, 5]"));
  CHECK_THAT(error_of([&] { reshape(x, {-1, -1}); }), Contains("only one -1"));
  CHECK_THAT(error_of([&] { reshape(x, {-2, 12}); }), Contains("invalid size -2"));
  CHECK_THAT(error_of([&] { squeeze(x, 0); }),
             Contains("squeeze") && Contains("has size 2, expected 1"));
  CHECK_THAT(error_of([&] { unsqueeze(x, 4); }), Contains("unsqueeze") && Contains("axis 4"));
}

TEST_CASE("reshape, unsqueeze and squeeze: gradcheck", "[ops][shape][gradcheck]") {
  FreshTape fresh;
  const Tensor x = uniform({2, 3, 2}, 151, -1, 1).requires_grad_();
  check_gradients([](const auto& in) { return reshape(in[0], {3, -1}); }, {x});
  check_gradients([](const auto& in) { return in[0].reshape({-1}); }, {x});
  check_gradients([](const auto& in) { return unsqueeze(in[0], 1); }, {x});
  check_gradients([](const auto& in) { return squeeze(reshape(in[0], {2, 1, 6}), 1); }, {x});
  // The view shares storage, so an op after it must still see the right values.
  check_gradients(
      [](const auto& in) {
        return exp(reshape(in[0], {6, 2})) * in[0].reshape({6, 2});
      },
      {x});
}

TEST_CASE("slice follows Python's slicing rules", "[ops][shape]") {
  FreshTape fresh;
  const Tensor x = uniform({4, 6, 3}, 161, -1, 1);
  struct Case {
    int axis;
    std::int64_t start, end, step;
    std::int64_t count;
  };
  const std::vector<Case> cases{
      {1, 1, 4, 1, 3},   {1, 0, 6, 2, 3},   {1, 1, 6, 2, 3},    {1, -3, 6, 1, 3},
      {1, -4, -1, 2, 2}, {1, 2, 100, 3, 2}, {1, -100, 2, 1, 2}, {1, 4, 2, 1, 0},
      {0, 1, 4, 2, 2},   {2, -1, 3, 1, 1},  {0, 0, 4, 5, 1},    {-1, 0, 3, 2, 2},
  };
  for (const Case& c : cases) {
    INFO("axis " << c.axis << ", " << c.start << ":" << c.end << ":" << c.step);
    const int axis = c.axis < 0 ? c.axis + 3 : c.axis;
    const auto [shape, expected] = slice_reference(x, axis, c.start, c.end, c.step);
    const Tensor y = slice(x, c.axis, c.start, c.end, c.step);
    CHECK(y.shape() == shape);
    CHECK(y.size(axis) == c.count);
    CHECK(y.to_vector<double>() == expected);
    CHECK(x.slice(c.axis, c.start, c.end, c.step).to_vector<double>() == expected);
  }
  // A known case, by hand: every other element from the end's third.
  check_close(slice(arange(0, 10, 1, kFloat64), 0, -7, -1, 2), {3, 5, 7}, 0);

  CHECK_THAT(error_of([&] { slice(x, 1, 0, 3, 0); }),
             Contains("slice") && Contains("positive step") && Contains("0"));
  CHECK_THAT(error_of([&] { slice(x, 3, 0, 1); }), Contains("slice") && Contains("axis 3"));
}

TEST_CASE("slice: gradcheck", "[ops][shape][gradcheck]") {
  FreshTape fresh;
  const std::uint64_t seed = GENERATE(171, 172);
  const Tensor x = uniform({3, 5, 2}, seed, -1, 1).requires_grad_();
  check_gradients([](const auto& in) { return slice(in[0], 1, 1, 4); }, {x});
  check_gradients([](const auto& in) { return slice(in[0], 1, -4, -1, 2); }, {x});
  check_gradients([](const auto& in) { return slice(in[0], 0, 0, 3, 2); }, {x});
  check_gradients([](const auto& in) { return slice(in[0], -1, 1, 2); }, {x});
  // Two overlapping slices of one tensor add up their gradients.
  check_gradients([](const auto& in) { return slice(in[0], 1, 0, 3) * slice(in[0], 1, 2, 5); },
                  {x});

  clear_tape();
  Tensor v = tensor({1, 2, 3, 4, 5}, kFloat64).requires_grad_();
  sum(slice(v, 0, 1, 5, 2) * 3.0).backward();
  check_close(v.grad(), {0, 3, 0, 3, 0});
}

TEST_CASE("cat joins tensors along any axis", "[ops][shape]") {
  FreshTape fresh;
  for (int axis = 0; axis < 3; ++axis) {
    INFO("axis " << axis);
    Shape sa{2, 3, 2}, sb{2, 3, 2}, sc{2, 3, 2};
    sa[axis] = 1;
    sb[axis] = 2;
    sc[axis] = 3;
    const Tensor a = uniform(sa, 181, -1, 1), b = uniform(sb, 182, -1, 1),
                 c = uniform(sc, 183, -1, 1);
    const Tensor y = cat({a, b, c}, axis);
    Shape expected_shape{2, 3, 2};
    expected_shape[axis] = 6;
    CHECK(y.shape() == expected_shape);
    // Each output element comes from the input whose block along `axis` holds it.
    const std::vector<double> values = y.to_vector<double>();
    for (std::int64_t flat = 0; flat < y.numel(); ++flat) {
      std::vector<std::int64_t> index = unravel(flat, expected_shape);
      std::int64_t& along = index[static_cast<std::size_t>(axis)];
      const Tensor& source = along < 1 ? a : along < 3 ? b : c;
      along -= along < 1 ? 0 : along < 3 ? 1 : 3;
      CHECK(values[static_cast<std::size_t>(flat)] ==
            source.to_vector<double>()[static_cast<std::size_t>(ravel(index, source.shape()))]);
    }
    CHECK(cat({a}, axis).to_vector<double>() == a.to_vector<double>());
    CHECK(cat({a, b, c}, axis - 3).to_vector<double>() == values);
  }
  check_close(cat({tensor({1, 2}), tensor({3}), tensor({4, 5, 6})}, 0), {1, 2, 3, 4, 5, 6}, 0);

  CHECK_THAT(error_of([] { cat({}, 0); }), Contains("cat") && Contains("at least one"));
  CHECK_THAT(error_of([] {
               cat({zeros({2, 3}), zeros({3, 3})}, 1);
             }),
             Contains("cat") && Contains("tensor 1") && Contains("[3, 3]") && Contains("[2, 3]"));
  CHECK_THAT(error_of([] {
               cat({zeros({2, 3}), zeros({2, 3}, kFloat64)}, 0);
             }),
             Contains("cat") && Contains("float64"));
  CHECK_THAT(error_of([] { cat({zeros({2, 3}), zeros({6})}, 0); }), Contains("cat"));
}

TEST_CASE("cat: gradcheck", "[ops][shape][gradcheck]") {
  FreshTape fresh;
  const int axis = GENERATE(0, 1, 2, -1);
  Shape sa{2, 2, 2}, sb{2, 2, 2}, sc{2, 2, 2};
  const int a_axis = axis < 0 ? axis + 3 : axis;
  sa[a_axis] = 1;
  sc[a_axis] = 3;
  const Tensor a = uniform(sa, 191, -1, 1).requires_grad_();
  const Tensor b = uniform(sb, 192, -1, 1).requires_grad_();
  const Tensor c = uniform(sc, 193, -1, 1).requires_grad_();
  INFO("axis " << axis);
  const auto f = [axis](const auto& in) { return cat({in[0], in[1], in[2]}, axis); };
  check_gradients(f, {a, b, c});
  check_gradients(f, {a, b.detach(), c}); // a constant in the middle
  // The same tensor twice.
  check_gradients([axis](const auto& in) { return cat({in[0], tanh(in[0])}, axis); }, {b});
}

TEST_CASE("index_select picks positions along an axis, repeats allowed", "[ops][shape]") {
  FreshTape fresh;
  const Tensor x =
      from_vector(std::vector<double>{0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32}, {4, 3});
  const Tensor rows = int64_tensor({2, 0, 2, 3}, {4});
  const Tensor y = index_select(x, 0, rows);
  CHECK(y.shape() == Shape{4, 3});
  check_close(y, {20, 21, 22, 0, 1, 2, 20, 21, 22, 30, 31, 32}, 0);
  const Tensor cols = int64_tensor({1, 1, 0}, {3});
  check_close(x.index_select(1, cols), {1, 1, 0, 11, 11, 10, 21, 21, 20, 31, 31, 30}, 0);
  check_close(index_select(x, -1, cols), {1, 1, 0, 11, 11, 10, 21, 21, 20, 31, 31, 30}, 0);

  // Repeated indices add up their gradients.
  Tensor v = tensor({1, 2, 3}, kFloat64).requires_grad_();
  sum(index_select(v, 0, int64_tensor({2, 0, 2, 2}, {4}))).backward();
  check_close(v.grad(), {1, 0, 3});

  // int64 values can be selected too.
  const Tensor labels = int64_tensor({5, 6, 7}, {3});
  CHECK(index_select(labels, 0, int64_tensor({2, 2}, {2})).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{7, 7});

  CHECK_THAT(error_of([&] { index_select(x, 0, int64_tensor({4}, {1})); }),
             Contains("index_select") && Contains("index 4") && Contains("out of range") &&
                 Contains("0 to 3"));
  CHECK_THAT(error_of([&] { index_select(x, 0, int64_tensor({-1}, {1})); }), Contains("index -1"));
  CHECK_THAT(error_of([&] { index_select(x, 0, tensor({0})); }),
             Contains("index_select") && Contains("int64") && Contains("float32"));
  CHECK_THAT(error_of([&] {
               index_select(x, 0, int64_tensor({0, 1}, {1, 2}));
             }),
             Contains("1-D index") && Contains("[1, 2]"));
}

TEST_CASE("index_select: gradcheck", "[ops][shape][gradcheck]") {
  FreshTape fresh;
  const int axis = GENERATE(0, 1, 2);
  const Tensor x = uniform({3, 3, 2}, 201, -1, 1).requires_grad_();
  // Repeated indices; axis 2 has only two positions.
  const Tensor index =
      axis == 2 ? int64_tensor({1, 0, 1, 1}, {4}) : int64_tensor({1, 0, 2, 1, 2}, {5});
  INFO("axis " << axis);
  check_gradients([axis](const auto& in) { return index_select(in[0], axis, in[1]); }, {x, index});
}

TEST_CASE("gather picks one position per output element", "[ops][shape]") {
  FreshTape fresh;
  const Tensor x = uniform({3, 4, 2}, 211, -1, 1);
  const std::vector<double> xs = x.to_vector<double>();
  for (int axis = 0; axis < 3; ++axis) {
    INFO("axis " << axis);
    Shape index_shape{2, 3, 2}; // smaller than x along the other axes, as gather allows
    Generator gen(212 + static_cast<std::uint64_t>(axis));
    std::vector<std::int64_t> positions;
    for (std::int64_t i = 0; i < index_shape.numel(); ++i)
      positions.push_back(
          static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(x.shape()[axis]))));
    const Tensor index = int64_tensor(positions, index_shape);
    const Tensor y = gather(x, axis, index);
    CHECK(y.shape() == index_shape);
    std::vector<double> expected;
    for (std::int64_t flat = 0; flat < index_shape.numel(); ++flat) {
      std::vector<std::int64_t> at = unravel(flat, index_shape);
      at[static_cast<std::size_t>(axis)] = positions[static_cast<std::size_t>(flat)];
      expected.push_back(xs[static_cast<std::size_t>(ravel(at, x.shape()))]);
    }
    CHECK(y.to_vector<double>() == expected);
    CHECK(x.gather(axis, index).to_vector<double>() == expected);
  }

  // Picking one class per row, as a classification loss does; repeated picks add up.
  Tensor logits = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  const Tensor picked = gather(logits, 1, int64_tensor({2, 2, 0, 1}, {2, 2}));
  check_close(picked, {3, 3, 4, 5}, 0);
  sum(picked).backward();
  check_close(logits.grad(), {0, 0, 2, 1, 1, 0});

  CHECK_THAT(error_of([&] {
               gather(x, 0, int64_tensor({0, 1}, {2}));
             }),
             Contains("gather") && Contains("rank"));
  CHECK_THAT(error_of([&] {
               gather(x, 1, int64_tensor({4}, {1, 1, 1}));
             }),
             Contains("gather") && Contains("index 4") && Contains("out of range"));
  CHECK_THAT(error_of([&] {
               gather(x, 1, zeros({4, 1, 1}, kInt64));
             }),
             Contains("gather") && Contains("exceeds") && Contains("[4, 1, 1]"));
}

TEST_CASE("gather: gradcheck", "[ops][shape][gradcheck]") {
  FreshTape fresh;
  const int axis = GENERATE(0, 1, 2);
  const Tensor x = uniform({2, 3, 2}, 221, -1, 1).requires_grad_();
  Shape index_shape{2, 3, 2};
  index_shape[axis] = 4; // more picks than positions: some repeat
  Generator gen(222);
  std::vector<std::int64_t> positions;
  for (std::int64_t i = 0; i < index_shape.numel(); ++i)
    positions.push_back(
        static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(x.shape()[axis]))));
  const Tensor index = int64_tensor(positions, index_shape);
  INFO("axis " << axis);
  check_gradients([axis](const auto& in) { return gather(in[0], axis, in[1]); }, {x, index});
}

TEST_CASE("to(dtype) converts values and gradients", "[ops][shape]") {
  FreshTape fresh;
  const Tensor x = tensor({1.5, -2.25, 1e-3}, kFloat64);
  const Tensor f = x.to(kFloat32);
  CHECK(f.dtype() == kFloat32);
  CHECK(f.to_vector<float>() == std::vector<float>{1.5f, -2.25f, 1e-3f});
  CHECK(x.to(kInt64).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 0});
  CHECK(int64_tensor({3, -4}, {2}).to(kFloat64).to_vector<double>() == std::vector<double>{3, -4});
  const Tensor same = x.to(kFloat64);
  CHECK(same.data_ptr<double>() != x.data_ptr<double>()); // a copy, never a view

  // A float32 parameter used in a float64 computation gets a float32 gradient.
  Tensor w = tensor({1.0f, 2.0f}).requires_grad_();
  sum(w.to(kFloat64) * tensor({3.0, -0.5}, kFloat64)).backward();
  CHECK(w.grad().dtype() == kFloat32);
  CHECK(w.grad().to_vector<float>() == std::vector<float>{3.0f, -0.5f});

  // Integers are constants, as in PyTorch: an int64 tensor never requires grad.
  const Tensor rounded = w.to(kInt64);
  CHECK_FALSE(rounded.requires_grad());
  CHECK(rounded.is_leaf());
  CHECK(rounded.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2});

  const Tensor xg = uniform({2, 3}, 231, -1, 1).requires_grad_();
  check_gradients([](const auto& in) { return in[0].to(kFloat64); }, {xg});
  check_gradients([](const auto& in) { return exp(in[0].to(kFloat64)) * in[0]; }, {xg});
}

TEST_CASE("clone copies into new storage and passes gradients through", "[ops][shape]") {
  FreshTape fresh;
  const Tensor x = tensor({1, 2, 3}, kFloat64);
  const Tensor c = x.clone();
  CHECK(c.data_ptr<double>() != x.data_ptr<double>());
  c.data_ptr<double>()[0] = 100;
  CHECK(x.at({0}) == 1);
  CHECK(c.to_vector<double>() == std::vector<double>{100, 2, 3});
  CHECK(int64_tensor({1, 2}, {2}).clone().to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, 2});

  const Tensor xg = uniform({3, 2}, 241, -1, 1).requires_grad_();
  check_gradients([](const auto& in) { return in[0].clone(); }, {xg});
  check_gradients([](const auto& in) { return in[0].clone() * in[0]; }, {xg});
}

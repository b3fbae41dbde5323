// Element-wise ops and where: forward values against <cmath> in float64 and float32, a float64
// gradcheck of every op (binary ops on broadcasting shape pairs), subgradients at kinks, NaN, and
// large inputs.
#include "tests/support/autograd_helpers.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_close;
using tapegrad::test::check_gradients;
using tapegrad::test::distinct;
using tapegrad::test::distinct_values;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
using tapegrad::test::uniform;

namespace {

// Where an op's inputs are drawn from: anywhere, positive only (log, sqrt, pow), or distinct
// values away from 0 (ops with a kink there).
enum class Domain { Any, Positive, AwayFromZero };

Tensor sample(Domain domain, const Shape& shape, std::uint64_t seed, DType dtype = kFloat64) {
  switch (domain) {
  case Domain::Any:
    return uniform(shape, seed, -2, 2, dtype);
  case Domain::Positive:
    return uniform(shape, seed, 0.5, 2, dtype);
  case Domain::AwayFromZero:
    break;
  }
  return distinct(shape, seed, dtype);
}

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> reference;
  Domain domain;
};

const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> cases{
      {"neg", [](const Tensor& x) { return neg(x); }, [](double x) { return -x; }, Domain::Any},
      {"operator-", [](const Tensor& x) { return -x; }, [](double x) { return -x; }, Domain::Any},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); },
       Domain::Any},
      {"log", [](const Tensor& x) { return log(x); }, [](double x) { return std::log(x); },
       Domain::Positive},
      {"log1p", [](const Tensor& x) { return log1p(x); }, [](double x) { return std::log1p(x); },
       Domain::Positive},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); },
       Domain::Positive},
      {"square", [](const Tensor& x) { return square(x); }, [](double x) { return x * x; },
       Domain::Any},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double x) { return std::fabs(x); },
       Domain::AwayFromZero},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double x) { return std::tanh(x); },
       Domain::Any},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); },
       [](double x) { return 1 / (1 + std::exp(-x)); }, Domain::Any},
      {"relu", [](const Tensor& x) { return relu(x); }, [](double x) { return x > 0 ? x : 0.0; },
       Domain::AwayFromZero},
      {"silu", [](const Tensor& x) { return silu(x); },
       [](double x) { return x / (1 + std::exp(-x)); }, Domain::Any},
      {"elu", [](const Tensor& x) { return elu(x); },
       [](double x) { return x > 0 ? x : std::expm1(x); }, Domain::AwayFromZero},
      {"elu alpha 0.5", [](const Tensor& x) { return elu(x, 0.5); },
       [](double x) { return x > 0 ? x : 0.5 * std::expm1(x); }, Domain::AwayFromZero},
      {"softplus", [](const Tensor& x) { return softplus(x); },
       [](double x) { return std::log(1 + std::exp(x)); }, Domain::Any},
      {"method exp", [](const Tensor& x) { return x.exp(); }, [](double x) { return std::exp(x); },
       Domain::Any},
      {"method softplus", [](const Tensor& x) { return x.softplus(); },
       [](double x) { return std::log(1 + std::exp(x)); }, Domain::Any},
  };
  return cases;
}

// The scalar forms: x + s, s + x, x - s, s - x, x * s, s * x, x / s, s / x.
struct ScalarCase {
  const char* name;
  std::function<Tensor(const Tensor&, double)> op;
  std::function<double(double, double)> reference;
  Domain domain;
};

const std::vector<ScalarCase>& scalar_cases() {
  static const std::vector<ScalarCase> cases{
      {"x + s", [](const Tensor& x, double s) { return x + s; },
       [](double x, double s) { return x + s; }, Domain::Any},
      {"s + x", [](const Tensor& x, double s) { return s + x; },
       [](double x, double s) { return s + x; }, Domain::Any},
      {"x - s", [](const Tensor& x, double s) { return x - s; },
       [](double x, double s) { return x - s; }, Domain::Any},
      {"s - x", [](const Tensor& x, double s) { return s - x; },
       [](double x, double s) { return s - x; }, Domain::Any},
      {"x * s", [](const Tensor& x, double s) { return x * s; },
       [](double x, double s) { return x * s; }, Domain::Any},
      {"s * x", [](const Tensor& x, double s) { return s * x; },
       [](double x, double s) { return s * x; }, Domain::Any},
      {"x / s", [](const Tensor& x, double s) { return x / s; },
       [](double x, double s) { return x / s; }, Domain::Any},
      {"s / x", [](const Tensor& x, double s) { return s / x; },
       [](double x, double s) { return s / x; }, Domain::AwayFromZero},
  };
  return cases;
}

struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> reference;
  bool positive_b; // div: the divisor stays away from 0
  bool distinct;   // minimum, maximum: no ties between a and b
};

const std::vector<BinaryCase>& binary_cases() {
  static const std::vector<BinaryCase> cases{
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); },
       [](double a, double b) { return a + b; }, false, false},
      {"a + b", [](const Tensor& a, const Tensor& b) { return a + b; },
       [](double a, double b) { return a + b; }, false, false},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); },
       [](double a, double b) { return a - b; }, false, false},
      {"a - b", [](const Tensor& a, const Tensor& b) { return a - b; },
       [](double a, double b) { return a - b; }, false, false},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); },
       [](double a, double b) { return a * b; }, false, false},
      {"a * b", [](const Tensor& a, const Tensor& b) { return a * b; },
       [](double a, double b) { return a * b; }, false, false},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); },
       [](double a, double b) { return a / b; }, true, false},
      {"a / b", [](const Tensor& a, const Tensor& b) { return a / b; },
       [](double a, double b) { return a / b; }, true, false},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }, false, true},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }, false, true},
  };
  return cases;
}

struct ShapePair {
  Shape a, b, out;
};

const std::vector<ShapePair>& broadcast_pairs() {
  static const std::vector<ShapePair> pairs{
      {{3, 4}, {4}, {3, 4}},          {{4}, {3, 4}, {3, 4}},          {{3, 1}, {1, 4}, {3, 4}},
      {{2, 3, 4}, {3, 1}, {2, 3, 4}}, {{}, {2, 3}, {2, 3}},           {{2, 3}, {}, {2, 3}},
      {{2, 3}, {2, 3}, {2, 3}},       {{2, 1, 3}, {4, 1}, {2, 4, 3}}, {{1}, {5}, {5}},
  };
  return pairs;
}

// z[i] = f(a[i'], b[i'']) where i' and i'' are i with the broadcast axes set to 0, computed
// index by index.
std::vector<double> broadcast_reference(const Tensor& a, const Tensor& b, const Shape& out,
                                        const std::function<double(double, double)>& f) {
  const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> z;
  for (std::int64_t flat = 0; flat < out.numel(); ++flat) {
    const std::vector<std::int64_t> index = tapegrad::test::unravel(flat, out);
    const auto project = [&](const Shape& s) {
      std::vector<std::int64_t> sub(s.size());
      for (int i = 0; i < s.rank(); ++i) {
        const std::int64_t from_out = index[static_cast<std::size_t>(out.rank() - s.rank() + i)];
        sub[static_cast<std::size_t>(i)] = s[i] == 1 ? 0 : from_out;
      }
      return tapegrad::test::ravel(sub, s);
    };
    z.push_back(f(av[static_cast<std::size_t>(project(a.shape()))],
                  bv[static_cast<std::size_t>(project(b.shape()))]));
  }
  return z;
}

// Operands for a binary case: for minimum and maximum, drawn from one pool of distinct values so
// that no element of a ties with one of b.
std::pair<Tensor, Tensor> binary_operands(const BinaryCase& c, const ShapePair& shapes,
                                          std::uint64_t seed, DType dtype = kFloat64) {
  if (c.distinct) {
    const std::vector<double> pool = distinct_values(shapes.a.numel() + shapes.b.numel(), seed);
    const auto split = pool.begin() + shapes.a.numel();
    return {from_vector(std::vector<double>(pool.begin(), split), shapes.a, dtype),
            from_vector(std::vector<double>(split, pool.end()), shapes.b, dtype)};
  }
  return {uniform(shapes.a, seed, -2, 2, dtype),
          c.positive_b ? uniform(shapes.b, seed + 1000, 0.5, 2, dtype)
                       : uniform(shapes.b, seed + 1000, -2, 2, dtype)};
}

std::vector<double> map(const Tensor& x, const std::function<double(double)>& f) {
  std::vector<double> out;
  for (double v : x.to_vector<double>())
    out.push_back(f(v));
  return out;
}

} // namespace

TEST_CASE("unary ops: float64 forward matches <cmath>", "[ops][elementwise]") {
  FreshTape fresh;
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name);
    const Tensor x = sample(c.domain, {3, 5}, 7);
    const Tensor y = c.op(x);
    CHECK(y.shape() == x.shape());
    CHECK(y.dtype() == kFloat64);
    check_close(y, map(x, c.reference), 1e-14);
  }
}

TEST_CASE("unary ops: float32 forward matches <cmath> to float32 precision",
          "[ops][elementwise][float32]") {
  FreshTape fresh;
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name);
    const Tensor x = sample(c.domain, {4, 5}, 8, kFloat32);
    const Tensor y = c.op(x);
    CHECK(y.dtype() == kFloat32);
    check_close(y, map(x, c.reference), 1e-6); // float32 epsilon is 1.2e-7
  }
}

TEST_CASE("unary ops: gradcheck", "[ops][elementwise][gradcheck]") {
  FreshTape fresh;
  const Shape shape = GENERATE(Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 1, 3});
  const std::uint64_t seed = GENERATE(1, 2);
  for (const UnaryCase& c : unary_cases()) {
    INFO(c.name << " on shape " << shape.str() << ", seed " << seed);
    const Tensor x = sample(c.domain, shape, seed).requires_grad_();
    check_gradients([&c](const auto& in) { return c.op(in[0]); }, {x});
  }
}

TEST_CASE("unary ops: derivatives at known points", "[ops][elementwise]") {
  FreshTape fresh;
  Tensor x = tensor({-1.0, 0.5, 2.0}, kFloat64).requires_grad_();
  const auto grad_of = [&](const std::function<Tensor(const Tensor&)>& f) {
    clear_tape();
    x.zero_grad();
    sum(f(x)).backward();
    return x.grad();
  };
  check_close(grad_of([](const Tensor& t) { return exp(t); }),
              {std::exp(-1.0), std::exp(0.5), std::exp(2.0)});
  check_close(grad_of([](const Tensor& t) { return square(t); }), {-2.0, 1.0, 4.0});
  check_close(grad_of([](const Tensor& t) { return tanh(t); }),
              {1 - std::pow(std::tanh(-1.0), 2), 1 - std::pow(std::tanh(0.5), 2),
               1 - std::pow(std::tanh(2.0), 2)});
  check_close(grad_of([](const Tensor& t) { return relu(t); }), {0.0, 1.0, 1.0});
  check_close(grad_of([](const Tensor& t) { return abs(t); }), {-1.0, 1.0, 1.0});
  check_close(grad_of([](const Tensor& t) { return sigmoid(t); }),
              {std::exp(-1.0) / std::pow(1 + std::exp(-1.0), 2),
               std::exp(-0.5) / std::pow(1 + std::exp(-0.5), 2),
               std::exp(-2.0) / std::pow(1 + std::exp(-2.0), 2)});
}

TEST_CASE("relu and abs take the subgradient 0 at 0", "[ops][elementwise]") {
  FreshTape fresh;
  Tensor x = tensor({0.0, 0.0}, kFloat64).requires_grad_();
  sum(relu(x) + abs(x)).backward();
  check_close(x.grad(), {0.0, 0.0});
  check_close(relu(tensor({-3.0, 0.0, 3.0})), {0.0, 0.0, 3.0});
}

TEST_CASE("scalar forms of the arithmetic operators", "[ops][elementwise]") {
  FreshTape fresh;
  const double s = GENERATE(2.5, -1.5);
  for (const ScalarCase& c : scalar_cases()) {
    INFO(c.name << " with s = " << s);
    const Tensor x = sample(c.domain, {2, 3}, 3);
    const auto reference = [&](double v) { return c.reference(v, s); };
    check_close(c.op(x, s), map(x, reference), 1e-14);
    const Tensor x32 = sample(c.domain, {7}, 4, kFloat32);
    const Tensor y32 = c.op(x32, s);
    CHECK(y32.dtype() == kFloat32);
    check_close(y32, map(x32, reference), 1e-6);
    for (const Shape& shape : {Shape{}, Shape{4}, Shape{2, 3}}) {
      const Tensor xg = sample(c.domain, shape, 5).requires_grad_();
      check_gradients([&c, s](const auto& in) { return c.op(in[0], s); }, {xg});
    }
  }
}

TEST_CASE("pow by a scalar exponent", "[ops][elementwise]") {
  FreshTape fresh;
  SECTION("any exponent on positive inputs") {
    for (double exponent : {2.0, 3.0, 0.5, -1.5, 1.0 / 3.0, 2.7, 0.0, 1.0}) {
      INFO("exponent " << exponent);
      const Tensor x = uniform({2, 3}, 21, 0.5, 2);
      check_close(pow(x, exponent), map(x, [=](double v) { return std::pow(v, exponent); }), 1e-14);
      check_close(x.pow(exponent), map(x, [=](double v) { return std::pow(v, exponent); }), 1e-14);
      const Tensor x32 = uniform({5}, 22, 0.5, 2, kFloat32);
      check_close(pow(x32, exponent), map(x32, [=](double v) { return std::pow(v, exponent); }),
                  1e-6);
      for (std::uint64_t seed : {1, 2}) {
        const Tensor xg = uniform({2, 3}, seed, 0.5, 2).requires_grad_();
        check_gradients([exponent](const auto& in) { return pow(in[0], exponent); }, {xg});
      }
    }
  }
  SECTION("integer exponents on inputs of either sign") {
    for (double exponent : {2.0, 3.0, -1.0, -2.0}) {
      INFO("exponent " << exponent);
      const Tensor x = distinct({2, 3}, 23);
      check_close(pow(x, exponent), map(x, [=](double v) { return std::pow(v, exponent); }), 1e-14);
      const Tensor xg = distinct({2, 3}, 24).requires_grad_();
      check_gradients([exponent](const auto& in) { return pow(in[0], exponent); }, {xg});
    }
  }
}

TEST_CASE("clamp", "[ops][elementwise]") {
  FreshTape fresh;
  // distinct() keeps every value at least 0.03 from -0.55 and 0.75.
  const double lo = -0.55, hi = 0.75;
  const Tensor x = distinct({3, 4}, 31);
  const auto reference = [=](double v) { return std::min(std::max(v, lo), hi); };
  check_close(clamp(x, lo, hi), map(x, reference), 1e-15);
  check_close(x.clamp(lo, hi), map(x, reference), 1e-15);
  check_close(clamp(distinct({6}, 32, kFloat32), lo, hi),
              map(distinct({6}, 32, kFloat32), reference), 1e-7);

  const std::uint64_t seed = GENERATE(31, 32, 33);
  const Tensor xg = distinct({3, 4}, seed).requires_grad_();
  check_gradients([=](const auto& in) { return clamp(in[0], lo, hi); }, {xg});

  // Inside the bounds the gradient is 1, outside 0.
  clear_tape();
  Tensor y = tensor({-2.0, -0.5, 0.0, 0.7, 3.0}, kFloat64).requires_grad_();
  sum(clamp(y, lo, hi)).backward();
  check_close(y.grad(), {0, 1, 1, 1, 0});

  CHECK_THAT(error_of([&] { clamp(x, 1.0, 0.0); }),
             Contains("clamp") && Contains("min <= max") && Contains("min 1 and max 0"));
}

TEST_CASE("binary ops broadcast: forward values", "[ops][elementwise]") {
  FreshTape fresh;
  for (const BinaryCase& c : binary_cases())
    for (const ShapePair& shapes : broadcast_pairs()) {
      INFO(c.name << " on " << shapes.a.str() << " and " << shapes.b.str());
      const auto [a, b] = binary_operands(c, shapes, 41);
      const Tensor z = c.op(a, b);
      CHECK(z.shape() == shapes.out);
      check_close(z, broadcast_reference(a, b, shapes.out, c.reference), 1e-15);

      const auto [a32, b32] = binary_operands(c, shapes, 42, kFloat32);
      const Tensor z32 = c.op(a32, b32);
      CHECK(z32.dtype() == kFloat32);
      check_close(z32, broadcast_reference(a32, b32, shapes.out, c.reference), 1e-6);
    }
}

TEST_CASE("binary ops broadcast: gradcheck", "[ops][elementwise][gradcheck]") {
  FreshTape fresh;
  const std::uint64_t seed = GENERATE(51, 52);
  for (const BinaryCase& c : binary_cases())
    for (const ShapePair& shapes : broadcast_pairs()) {
      INFO(c.name << " on " << shapes.a.str() << " and " << shapes.b.str() << ", seed " << seed);
      auto [a, b] = binary_operands(c, shapes, seed);
      a.requires_grad_();
      b.requires_grad_();
      const auto f = [&c](const auto& in) { return c.op(in[0], in[1]); };
      check_gradients(f, {a, b});
      check_gradients(f, {a, b.detach()}); // only one side requires grad
      check_gradients(f, {a.detach(), b});
    }
}

TEST_CASE("binary ops: a broadcast operand gets the gradient summed over repeats",
          "[ops][elementwise]") {
  FreshTape fresh;
  Tensor a = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  Tensor b = tensor({10, 20, 30}, kFloat64).requires_grad_();
  sum(a * b).backward();
  check_close(a.grad(), {10, 20, 30, 10, 20, 30});
  check_close(b.grad(), {5, 7, 9});
  CHECK(b.grad().shape() == Shape{3});
}

TEST_CASE("minimum and maximum split the gradient evenly at a tie", "[ops][elementwise]") {
  FreshTape fresh;
  Tensor a = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
  Tensor b = tensor({1.0, 5.0, 0.0}, kFloat64).requires_grad_();
  sum(minimum(a, b)).backward();
  check_close(a.grad(), {0.5, 1.0, 0.0});
  check_close(b.grad(), {0.5, 0.0, 1.0});
  clear_tape();
  a.zero_grad();
  b.zero_grad();
  sum(maximum(a, b)).backward();
  check_close(a.grad(), {0.5, 0.0, 1.0});
  check_close(b.grad(), {0.5, 1.0, 0.0});
}

TEST_CASE("a tensor combined with itself", "[ops][elementwise]") {
  FreshTape fresh;
  Tensor x = tensor({1.5, -2.0, 0.25}, kFloat64).requires_grad_();
  sum(x * x + x / (x * x + 1.0)).backward(); // 2x + (1 - x^2) / (x^2 + 1)^2
  std::vector<double> expected;
  for (double v : {1.5, -2.0, 0.25})
    expected.push_back(2 * v + (1 - v * v) / std::pow(v * v + 1, 2));
  check_close(x.grad(), expected);
  const Tensor xg = uniform({4}, 61, -2, 2).requires_grad_();
  check_gradients([](const auto& in) { return in[0] * in[0] - in[0] / (in[0] * in[0] + 1.0); },
                  {xg});
}

TEST_CASE("softplus, sigmoid, tanh and exp stay finite at large inputs", "[ops][elementwise]") {
  FreshTape fresh;
  Tensor x = tensor({1000.0, -1000.0, 0.0}, kFloat64).requires_grad_();
  const Tensor y = softplus(x);
  check_close(y, {1000.0, 0.0, std::log(2.0)}, 1e-15);
  CHECK(y.at({1}) >= 0.0);
  sum(y).backward();
  check_close(x.grad(), {1.0, 0.0, 0.5}, 1e-15);

  check_close(sigmoid(tensor({1000.0, -1000.0}, kFloat64)), {1.0, 0.0}, 1e-15);
  check_close(tanh(tensor({1000.0, -1000.0}, kFloat64)), {1.0, -1.0}, 1e-15);
  check_close(exp(tensor({-1000.0}, kFloat64)), {0.0}, 1e-300);

  clear_tape();
  Tensor s = tensor({1000.0, -1000.0}, kFloat64).requires_grad_();
  sum(sigmoid(s)).backward();
  check_close(s.grad(), {0.0, 0.0}, 1e-15);

  const Tensor y32 = softplus(tensor({100.0f, -100.0f, 30.0f}));
  check_close(y32, {100.0, 0.0, 30.0}, 1e-6);
  for (double v : y32.to_vector<double>())
    CHECK(std::isfinite(v));
}

TEST_CASE("relu, clamp, maximum and minimum pass NaN on, on the SIMD path and the tail alike",
          "[ops][elementwise]") {
  // Regression: relu gave 0, clamp the bound, maximum and minimum the other operand.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : {kFloat32, kFloat64})
    for (std::int64_t n : {1, 7, 16, 37}) { // below, at and past a SIMD batch
      INFO(dtype_name(dtype) << ", " << n << " elements");
      std::vector<double> values(static_cast<std::size_t>(n), -1.0);
      values.back() = nan;
      values.front() = nan;
      const Tensor x = from_vector(values, {n}, dtype);
      const Tensor other = full({n}, 0.5, dtype);
      for (const Tensor& y : {relu(x), clamp(x, -0.5, 0.5), maximum(x, other), minimum(x, other),
                              maximum(other, x), minimum(other, x), softplus(x), tanh(x)}) {
        const std::vector<double> out = y.to_vector<double>();
        CHECK(std::isnan(out.front()));
        CHECK(std::isnan(out.back()));
        if (n > 2)
          CHECK_FALSE(std::isnan(out[1]));
      }
    }
  // NaN in the scalar bound of clamp or in both operands.
  CHECK(std::isnan(maximum(tensor({nan}), tensor({nan})).item<double>()));
  check_close(relu(tensor({-0.0, 0.0, 2.0}, kFloat64)), {0.0, 0.0, 2.0});
}

TEST_CASE("minimum and maximum at a NaN give the full gradient to both operands, as PyTorch",
          "[ops][elementwise]") {
  FreshTape fresh;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = tensor({nan, 1.0}, kFloat64).requires_grad_();
  Tensor b = tensor({2.0, nan}, kFloat64).requires_grad_();
  sum(maximum(a, b) * tensor({1.0, 1.0}, kFloat64)).backward();
  check_close(a.grad(), {1.0, 1.0});
  check_close(b.grad(), {1.0, 1.0});
}

TEST_CASE("where picks a or b by a broadcast condition of any dtype", "[ops][elementwise]") {
  FreshTape fresh;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor condition = from_vector(std::vector<std::int64_t>{1, 0, 2}, {3});
  const Tensor a = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = tensor({-1.0}, kFloat64);
  const Tensor y = where(condition, a, b);
  CHECK(y.shape() == Shape{2, 3});
  check_close(y, {1, -1, 3, 4, -1, 6});
  // A float condition: non-zero (NaN included) is true; a NaN in the branch not taken is dropped.
  const Tensor mask = from_vector(std::vector<double>{0.0, nan, -0.0}, {3, 1});
  const Tensor z = where(mask, tensor({nan, 7.0}, kFloat64), tensor({8.0, 9.0}, kFloat64));
  CHECK(z.shape() == Shape{3, 2});
  const std::vector<double> zv = z.to_vector<double>();
  CHECK(zv[0] == 8.0);
  CHECK(std::isnan(zv[2]));
  CHECK(zv[3] == 7.0);
  CHECK(zv[4] == 8.0);

  Tensor ag = uniform({2, 3}, 91, -1, 1).requires_grad_();
  Tensor bg = uniform({3}, 92, -1, 1).requires_grad_();
  sum(where(condition, ag, bg) * 2.0).backward();
  check_close(ag.grad(), {2, 0, 2, 2, 0, 2});
  check_close(bg.grad(), {0, 4, 0}); // summed over the two rows it was repeated along
  check_gradients([&](const auto& in) { return where(condition, in[0], in[1]); }, {ag, bg});
  check_gradients(
      [&](const auto& in) { return where(mask, in[0], in[1]); },
      {uniform({1, 2}, 93, -1, 1).requires_grad_(), uniform({3, 1}, 94, -1, 1).requires_grad_()});
  CHECK_THAT(error_of([&] { where(condition, a, ones({2}, kFloat64)); }),
             Contains("where") && Contains("cannot be broadcast"));
  CHECK_THAT(error_of([&] { where(condition, zeros({3}, kInt64), zeros({3}, kInt64)); }),
             Contains("where") && Contains("int64"));
}

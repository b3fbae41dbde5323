// Tensor: factories, the seeded generator, accessors, printing, and handles that share storage.
#include "tests/support/autograd_helpers.hpp"

#include <limits>

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <sstream>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;

TEST_CASE("zeros, ones and full fill a tensor of the given shape and dtype", "[tensor]") {
  const Tensor z = zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == kFloat32);
  CHECK(z.to_vector<double>() == std::vector<double>(6, 0.0));

  const Tensor o = ones({4}, kFloat64);
  CHECK(o.dtype() == kFloat64);
  CHECK(o.to_vector<double>() == std::vector<double>(4, 1.0));

  const Tensor f = full({2, 1, 2}, -2.5, kFloat64);
  CHECK(f.shape() == Shape{2, 1, 2});
  CHECK(f.to_vector<double>() == std::vector<double>(4, -2.5));

  const Tensor i = full({3}, 7, kInt64);
  CHECK(i.dtype() == kInt64);
  CHECK(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 7, 7});

  const Tensor like = ones_like(f);
  CHECK(like.shape() == f.shape());
  CHECK(like.dtype() == kFloat64);
  CHECK(zeros_like(i).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0});
}

TEST_CASE("scalar tensors have rank 0 and one element", "[tensor]") {
  const Tensor s = scalar_tensor(3.5, kFloat64);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.shape().str() == "[]");
  CHECK(s.item<double>() == 3.5);
  CHECK(s.at({}) == 3.5);
}

TEST_CASE("from_vector and tensor copy values in row-major order", "[tensor]") {
  const Tensor t = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.dtype() == kFloat64);
  CHECK(t.at({0, 0}) == 1);
  CHECK(t.at({0, 2}) == 3);
  CHECK(t.at({1, 0}) == 4);
  CHECK(t.at({1, 2}) == 6);

  const Tensor f = from_vector(std::vector<float>{0.5f, 1.5f}, {2});
  CHECK(f.dtype() == kFloat32);
  CHECK(f.to_vector<float>() == std::vector<float>{0.5f, 1.5f});

  const Tensor converted = from_vector(std::vector<double>{1.25, -2.75}, {2}, kFloat32);
  CHECK(converted.dtype() == kFloat32);
  CHECK(converted.to_vector<double>() == std::vector<double>{1.25, -2.75});

  const Tensor index = from_vector(std::vector<std::int64_t>{4, -1, 9}, {3});
  CHECK(index.dtype() == kInt64);
  CHECK(index.to_vector<std::int64_t>() == std::vector<std::int64_t>{4, -1, 9});

  const Tensor v = tensor({1, 2, 3}, kFloat64);
  CHECK(v.shape() == Shape{3});
  CHECK(v.to_vector<double>() == std::vector<double>{1, 2, 3});
  CHECK(tensor({0.1}).dtype() == kFloat32);

  CHECK_THAT(error_of([] {
               from_vector(std::vector<double>{1, 2, 3}, {2, 2});
             }),
             Contains("from_vector") && Contains("3 values") && Contains("[2, 2]"));
  CHECK_THAT(error_of([] { zeros({2, -1}); }), Contains("non-negative") && Contains("-1"));
}

TEST_CASE("arange counts from start by step, excluding end", "[tensor]") {
  CHECK(arange(5).to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4});
  CHECK(arange(1, 2, 0.25, kFloat64).to_vector<double>() ==
        std::vector<double>{1, 1.25, 1.5, 1.75});
  CHECK(arange(5, 0, -2, kFloat64).to_vector<double>() == std::vector<double>{5, 3, 1});
  CHECK(arange(3, 3).numel() == 0);
  CHECK(arange(4, 0).numel() == 0); // a positive step never reaches a smaller end
  CHECK(arange(0, 3, 1, kInt64).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2});
  CHECK_THAT(error_of([] { arange(0, 1, 0); }), Contains("arange") && Contains("non-zero step"));
  CHECK_THAT(error_of([] { arange(0, INFINITY); }), Contains("arange"));
}

TEST_CASE("linspace gives evenly spaced points ending exactly at end", "[tensor]") {
  CHECK(linspace(0, 1, 5, kFloat64).to_vector<double>() ==
        std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  const std::vector<double> points = linspace(0, 0.3, 7, kFloat64).to_vector<double>();
  REQUIRE(points.size() == 7);
  CHECK(points.front() == 0.0);
  CHECK(points.back() == 0.3);
  for (std::size_t i = 0; i < points.size(); ++i)
    CHECK(points[i] == Approx(0.05 * static_cast<double>(i)).margin(1e-15));
  CHECK(linspace(2, 9, 1, kFloat64).to_vector<double>() == std::vector<double>{2});
  CHECK(linspace(2, 9, 0).numel() == 0);
  CHECK_THAT(error_of([] { linspace(0, 1, -1); }), Contains("linspace") && Contains("-1"));
}

TEST_CASE("the generator gives the same bits for the same seed", "[tensor][generator]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    Generator a(42), b(42), c(43);
    const Tensor ra = rand({64}, a, dtype), rb = rand({64}, b, dtype), rc = rand({64}, c, dtype);
    const std::size_t bytes = 64 * dtype_size(dtype);
    CHECK(std::memcmp(ra.impl()->data(), rb.impl()->data(), bytes) == 0);
    CHECK(std::memcmp(ra.impl()->data(), rc.impl()->data(), bytes) != 0);

    const Tensor na = randn({65}, a, dtype), nb = randn({65}, b, dtype), nc = randn({65}, c, dtype);
    CHECK(std::memcmp(na.impl()->data(), nb.impl()->data(), 65 * dtype_size(dtype)) == 0);
    CHECK(std::memcmp(na.impl()->data(), nc.impl()->data(), 65 * dtype_size(dtype)) != 0);
  }

  Generator g(7);
  const std::uint64_t first = g.next_u64(), second = g.next_u64();
  CHECK(first != second);
  g.manual_seed(7);
  CHECK(g.next_u64() == first);
  CHECK(g.next_u64() == second);
}

TEST_CASE("Generator::below stays in range and reaches every value", "[tensor][generator]") {
  Generator g(3);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 700; ++i) {
    const std::uint64_t v = g.below(7);
    REQUIRE(v < 7);
    ++seen[v];
  }
  for (int count : seen)
    CHECK(count > 50); // expected 100 each
  CHECK_THAT(error_of([&] { g.below(0); }), Contains("below") && Contains("positive"));
}

TEST_CASE("rand is uniform on the half-open unit interval", "[tensor][generator]") {
  constexpr std::int64_t n = 100000;
  for (DType dtype : {kFloat32, kFloat64}) {
    Generator gen(2024);
    const std::vector<double> u = rand({n}, gen, dtype).to_vector<double>();
    const auto [lo, hi] = std::minmax_element(u.begin(), u.end());
    CHECK(*lo >= 0.0);
    CHECK(*hi < 1.0);
    CHECK(*lo < 1e-3); // 100k draws come close to both ends
    CHECK(*hi > 1 - 1e-3);
    double sum = 0;
    for (double v : u)
      sum += v;
    const double mean = sum / n, standard_error = std::sqrt(1.0 / 12.0 / n);
    CHECK(std::abs(mean - 0.5) < 4 * standard_error);
  }
}

TEST_CASE("rand and randn make floating tensors only", "[tensor][generator]") {
  Generator gen(1);
  CHECK_THAT(error_of([&] { rand({2}, gen, kInt64); }), Contains("rand") && Contains("int64"));
  CHECK_THAT(error_of([&] { randn({2}, gen, kInt64); }), Contains("randn") && Contains("int64"));
  CHECK(rand({2, 3}, gen).shape() == Shape{2, 3});
  CHECK(randn({0}, gen).numel() == 0);
}

TEST_CASE("randn has mean 0 and variance 1", "[tensor][generator]") {
  constexpr std::int64_t n = 100000;
  for (DType dtype : {kFloat32, kFloat64}) {
    Generator gen(99);
    const std::vector<double> z = randn({n}, gen, dtype).to_vector<double>();
    double sum = 0, sum_sq = 0;
    std::int64_t non_finite = 0;
    for (double v : z) {
      non_finite += !std::isfinite(v);
      sum += v;
    }
    REQUIRE(non_finite == 0);
    const double mean = sum / n;
    for (double v : z)
      sum_sq += (v - mean) * (v - mean);
    const double variance = sum_sq / (n - 1);
    CHECK(std::abs(mean) < 4 * std::sqrt(1.0 / n));
    CHECK(std::abs(variance - 1) < 4 * std::sqrt(2.0 / (n - 1)));
  }
}

TEST_CASE("shape accessors", "[tensor]") {
  const Tensor t = zeros({2, 3, 4}, kFloat64);
  CHECK(t.dim() == 3);
  CHECK(t.numel() == 24);
  CHECK(t.size(0) == 2);
  CHECK(t.size(-1) == 4);
  CHECK(t.sizes() == Shape{2, 3, 4});
  CHECK(t.shape().vec() == std::vector<std::int64_t>{2, 3, 4});
  CHECK(t.shape().str() == "[2, 3, 4]");
  CHECK(t.shape().outer(1) == 2);
  CHECK(t.shape().inner(1) == 4);
  CHECK_THAT(error_of([&] { t.size(3); }),
             Contains("size") && Contains("axis 3 is out of range") && Contains("rank 3"));
  CHECK(dtype_name(kFloat32) == "float32");
  CHECK(dtype_name(kInt64) == "int64");
}

TEST_CASE("item, at and to_vector read elements", "[tensor]") {
  const Tensor t = from_vector(std::vector<double>{1.5, -2.25, 3, 4}, {2, 2});
  CHECK(t.at({1, 0}) == 3);
  CHECK(t.at({0, 1}) == -2.25);
  CHECK(t.to_vector<float>() == std::vector<float>{1.5f, -2.25f, 3.f, 4.f});
  CHECK(t.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 3, 4});
  CHECK(t.reshape({4}).slice(0, 1, 2).item<double>() == -2.25);
  CHECK(scalar_tensor(2.5).item<float>() == 2.5f);
  CHECK(scalar_tensor(9, kInt64).item<std::int64_t>() == 9);

  CHECK_THAT(error_of([&] { t.item<double>(); }), Contains("item") && Contains("[2, 2]"));
  CHECK_THAT(error_of([&] { t.at({0}); }), Contains("expected 2 indices"));
  CHECK_THAT(error_of([&] { t.at({0, 2}); }), Contains("index 2 is out of range for axis 1"));
  CHECK_THAT(error_of([&] { t.at({-1, 0}); }), Contains("out of range"));
  CHECK_THAT(error_of([&] { t.data_ptr<float>(); }),
             Contains("expected a float32 tensor, got float64"));
  CHECK(t.data_ptr<double>()[3] == 4);
  // Inside an op's dispatch, the op's name comes first: a tensor of the other dtype among an op's
  // arguments is reported by the op (as mdn::diagonal_mixture_log_prob with a float32 target).
  const Tensor single = ones({2}, kFloat32);
  CHECK_THAT(error_of([&] {
               dispatch_floating(kFloat64, "my_op", [&]<class T>() { single.data_ptr<T>(); });
             }),
             Contains("my_op: expected a float64 tensor, got float32") && Contains(".to()"));
}

TEST_CASE("to(int64) of a value with no integer is an error, not undefined behaviour", "[tensor]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double bad : {nan, std::numeric_limits<double>::infinity(), 1e19, -1e19}) {
    INFO(bad);
    CHECK_THAT(error_of([&] {
                 tensor({1.0, bad}, kFloat64).to(kInt64);
               }),
               Contains("to") && Contains("flat index 1") && Contains("no int64 value"));
  }
  CHECK(tensor({-2.75, 3.5}, kFloat32).to(kInt64).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{-2, 3});
}

TEST_CASE("an undefined tensor says so", "[tensor]") {
  const Tensor t;
  CHECK_FALSE(t.defined());
  CHECK(t.to_string() == "tensor(undefined)");
  CHECK_THAT(error_of([&] { t.shape(); }), Contains("undefined tensor"));
  CHECK_THAT(error_of([&] { t.requires_grad(); }), Contains("undefined tensor"));
}

TEST_CASE("printing follows PyTorch's layout", "[tensor][print]") {
  tapegrad::test::FreshTape fresh;
  CHECK(tensor({1, 2, 3}).to_string() == "tensor([1.0000, 2.0000, 3.0000])");
  CHECK(tensor({-1.5, 20}, kFloat64).to_string() == "tensor([-1.5000, 20.0000], dtype=float64)");
  CHECK(from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, kFloat32).to_string() ==
        "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])");
  CHECK(from_vector(std::vector<std::int64_t>{3, -10, 7}, {3}).to_string() ==
        "tensor([  3, -10,   7], dtype=int64)");
  CHECK(scalar_tensor(0.5).to_string() == "tensor(0.5000)");
  CHECK(tensor({1e-5, 1}).to_string() == "tensor([1.0000e-05, 1.0000e+00])");
  CHECK(tensor({1e9}).to_string() == "tensor([1.0000e+09])");

  const std::string elided = arange(2000).to_string();
  CHECK_THAT(elided, Contains("[   0.0000,    1.0000,    2.0000, ..., 1997.0000, 1998.0000, "
                              "1999.0000]"));

  Tensor x = tensor({1, 2}).requires_grad_();
  CHECK(x.to_string() == "tensor([1.0000, 2.0000], requires_grad=true)");
  const Tensor y = exp(x);
  CHECK_THAT(y.to_string(), Contains("grad_fn=<exp #0>"));

  std::ostringstream out;
  out << tensor({1, 2, 3});
  CHECK(out.str() == "tensor([1.0000, 2.0000, 3.0000])");
  CHECK(fmt::format("{}", tensor({4})) == "tensor([4.0000])");
}

TEST_CASE("reshape is a view of the same storage", "[tensor]") {
  const Tensor x = arange(0, 6, 1, kFloat64);
  const Tensor y = x.reshape({2, -1});
  CHECK(y.shape() == Shape{2, 3});
  CHECK(y.data_ptr<double>() == x.data_ptr<double>());
  x.data_ptr<double>()[4] = 40;
  CHECK(y.at({1, 1}) == 40);
  y.data_ptr<double>()[0] = -1;
  CHECK(x.at({0}) == -1);
  CHECK(x.reshape(Shape{3, 2}).shape() == Shape{3, 2});
  CHECK(x.reshape({-1}).shape() == Shape{6});
  CHECK(x.reshape({1, 2, 1, 3}).shape() == Shape{1, 2, 1, 3});
}

TEST_CASE("detach shares storage and drops history", "[tensor]") {
  tapegrad::test::FreshTape fresh;
  Tensor x = tensor({1, 2, 3}, kFloat64).requires_grad_();
  const Tensor y = x * 2.0;
  REQUIRE(y.requires_grad());
  REQUIRE_FALSE(y.is_leaf());
  const Tensor d = y.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  CHECK(d.data_ptr<double>() == y.data_ptr<double>());
  CHECK(d.to_vector<double>() == std::vector<double>{2, 4, 6});
  CHECK_FALSE(x.detach().requires_grad());
}

TEST_CASE("requires_grad_ only on floating leaves", "[tensor]") {
  tapegrad::test::FreshTape fresh;
  Tensor x = zeros({2}, kFloat64);
  CHECK_FALSE(x.requires_grad());
  CHECK(x.is_leaf());
  x.requires_grad_();
  CHECK(x.requires_grad());
  x.requires_grad_(false);
  CHECK_FALSE(x.requires_grad());
  x.requires_grad_(true);

  Tensor y = x + 1.0;
  CHECK_THAT(error_of([&] { y.requires_grad_(false); }),
             Contains("requires_grad_") && Contains("leaf"));
  Tensor index = zeros({2}, kInt64);
  CHECK_THAT(error_of([&] { index.requires_grad_(); }),
             Contains("requires_grad_") && Contains("int64"));
  CHECK(x.grad().defined() == false);
}

TEST_CASE("names are kept on the handle's tensor", "[tensor]") {
  Tensor x = zeros({1});
  CHECK(x.name().empty());
  x.set_name("weight");
  CHECK(x.name() == "weight");
  const Tensor alias = x; // a copy of the handle sees the same tensor
  CHECK(alias.name() == "weight");
}

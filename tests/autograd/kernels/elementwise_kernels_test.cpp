// The SIMD/OpenMP element-wise kernels against the reference loops: every op of the tables, in
// float32 and float64, on sizes around the SIMD width and the parallel block, and every broadcast
// pattern (same shape, row and column vectors, scalars, patterns that do not collapse to 2-D).
#include "autograd/broadcast.hpp"
#include "autograd/kernels/elementwise_ops.hpp"
#include "autograd/kernels/elementwise_simd.hpp"
#include "autograd/shape.hpp"
#include "tests/autograd/kernels/kernel_test_support.hpp"

#include <omp.h>

#include <cstring>
#include <string_view>

using namespace tapegrad;
using namespace tapegrad::kernels;
using tapegrad::test::random_buffer;

namespace {

// Ops defined only for positive inputs (or with a pole at 0).
bool positive_domain(std::string_view op) {
  for (std::string_view name : {"log", "log1p", "sqrt", "pow_scalar", "rdiv_scalar"})
    if (op == name)
      return true;
  return false;
}

double parameter_a(std::string_view op) {
  return op == "clamp" ? -0.5 : op == "pow_scalar" ? 1.7 : op == "elu" ? 1.3 : 0.8;
}

template <class Op, class T> void check_unary(std::int64_t n, std::uint64_t seed) {
  const bool positive = positive_domain(Op::name);
  const auto x = random_buffer<T>(n, seed, positive ? 0.1 : -3.0, 3.0);
  const auto gy = random_buffer<T>(n, seed + 1, -1.0, 1.0);
  const T a = static_cast<T>(parameter_a(Op::name)), b = T(0.7);
  std::vector<T> y(x.size()), y_ref(x.size()), gx(x.size()), gx_ref(x.size());
  unary_forward<Op>(x.data(), y.data(), n, a, b);
  unary_forward_reference<Op>(x.data(), y_ref.data(), n, a, b);
  unary_backward<Op>(x.data(), y_ref.data(), gy.data(), gx.data(), n, a, b);
  unary_backward_reference<Op>(x.data(), y_ref.data(), gy.data(), gx_ref.data(), n, a, b);
  INFO(Op::name << " " << (sizeof(T) == 4 ? "float32" : "float64") << " n=" << n);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(y, y_ref);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(gx, gx_ref);
}

template <class T> void check_all_unary(std::int64_t n, std::uint64_t seed) {
#define TAPEGRAD_CHECK_UNARY_(NAME, VALUE, DERIVATIVE) check_unary<NAME##_op, T>(n, seed);
  TAPEGRAD_UNARY_OPS(TAPEGRAD_CHECK_UNARY_)
  TAPEGRAD_SCALAR_OPS(TAPEGRAD_CHECK_UNARY_)
#undef TAPEGRAD_CHECK_UNARY_
}

// The plan the binary ops build.
BroadcastPlan plan_for(const Shape& a, const Shape& b) {
  return broadcast_plan(a, b, broadcast_shapes(a, b, "test"));
}

template <class Op, class T> void check_binary(const Shape& sa, const Shape& sb) {
  const BroadcastPlan plan = plan_for(sa, sb);
  const auto a = random_buffer<T>(sa.numel(), 11, -2.0, 2.0);
  const auto b = random_buffer<T>(sb.numel(), 12, 0.5, 2.0); // positive: div
  const auto gz = random_buffer<T>(plan.numel, 13, -1.0, 1.0);
  std::vector<T> z(static_cast<std::size_t>(plan.numel)), z_ref(z.size());
  binary_forward<Op>(a.data(), b.data(), z.data(), plan);
  binary_forward_reference<Op>(a.data(), b.data(), z_ref.data(), plan);
  std::vector<T> ga(a.size()), gb(b.size()), ga_ref(a.size()), gb_ref(b.size());
  binary_backward<Op>(a.data(), b.data(), z_ref.data(), gz.data(), ga.data(), gb.data(), plan);
  binary_backward_reference<Op>(a.data(), b.data(), z_ref.data(), gz.data(), ga_ref.data(),
                                gb_ref.data(), plan);
  // A sum of many terms is compared relative to the sum of their magnitudes.
  std::vector<T> ga_scale(a.size()), gb_scale(b.size()), ones(gz.size(), T(1));
  binary_backward_reference<add_op>(a.data(), b.data(), z_ref.data(), ones.data(), ga_scale.data(),
                                    gb_scale.data(), plan);
  INFO(Op::name << " " << (sizeof(T) == 4 ? "float32" : "float64") << " " << sa.str() << " and "
                << sb.str());
  TAPEGRAD_CHECK_CLOSE_BUFFERS(z, z_ref);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(ga, ga_ref, &ga_scale);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(gb, gb_ref, &gb_scale);
  // Only one gradient asked for.
  std::vector<T> only_b(b.size());
  binary_backward<Op>(a.data(), b.data(), z_ref.data(), gz.data(), static_cast<T*>(nullptr),
                      only_b.data(), plan);
  CHECK(only_b == gb);
}

const std::vector<std::pair<Shape, Shape>> broadcast_cases = {
    {{37, 19}, {37, 19}},  {{37, 19}, {19}},      {{19}, {37, 19}},
    {{37, 19}, {37, 1}},   {{37, 1}, {37, 19}},   {{37, 19}, {}},
    {{}, {37, 19}},        {{37, 1}, {1, 19}},    {{1, 19}, {37, 1}},
    {{5, 1, 7}, {3, 1}},   {{2, 3, 33}, {3, 1}},  {{300, 70}, {70}},
    {{300, 70}, {300, 1}}, {{3, 20000}, {20000}}, {{4, 20000}, {4, 1}},
    {{50001}, {}},         {{}, {50001}},         {{1}, {1}},
    {{0, 5}, {5}},         {{7, 1, 5}, {7, 3, 5}}};

template <class T> void check_all_binary() {
  for (const auto& [sa, sb] : broadcast_cases) {
#define TAPEGRAD_CHECK_BINARY_(NAME, VALUE, DA, DB) check_binary<NAME##_op, T>(sa, sb);
    TAPEGRAD_BINARY_OPS(TAPEGRAD_CHECK_BINARY_)
#undef TAPEGRAD_CHECK_BINARY_
  }
}

} // namespace

TEST_CASE("unary kernels match the reference loops on sizes around the SIMD width and block",
          "[kernels]") {
  std::uint64_t seed = 1;
  for (std::int64_t n : {0, 1, 3, 7, 15, 16, 17, 31, 33, 100, 257, 40000}) {
    check_all_unary<float>(n, seed++);
    check_all_unary<double>(n, seed++);
  }
}

TEST_CASE("binary kernels match the reference loops on every broadcast pattern", "[kernels]") {
  check_all_binary<float>();
  check_all_binary<double>();
}

TEST_CASE("collapse reduces broadcasts to rows and columns", "[kernels]") {
  const Broadcast2D row = collapse(plan_for({8, 4, 5}, {5}));
  CHECK(row.collapsed);
  CHECK(row.rows == 32);
  CHECK(row.cols == 5);
  CHECK(row.b_row == 0);
  CHECK(row.b_col == 1);
  const Broadcast2D same = collapse(plan_for({8, 4, 5}, {8, 4, 5}));
  CHECK(same.rows == 1);
  CHECK(same.cols == 160);
  CHECK_FALSE(collapse(plan_for({5, 1, 7}, {3, 1})).collapsed);
}

TEST_CASE("element-wise kernels give the same bits on 1 and 2 threads", "[kernels]") {
  const int threads = omp_get_max_threads();
  const BroadcastPlan plan = plan_for({257, 1000}, {1000});
  const auto a = random_buffer<float>(plan.numel, 1, -2.0, 2.0);
  const auto b = random_buffer<float>(1000, 2, -2.0, 2.0);
  const auto run = [&](int n_threads) {
    omp_set_num_threads(n_threads);
    std::vector<float> z(a.size()), y(a.size()), ga(a.size()), gb(b.size());
    binary_forward<mul_op>(a.data(), b.data(), z.data(), plan);
    binary_backward<mul_op>(a.data(), b.data(), z.data(), a.data(), ga.data(), gb.data(), plan);
    unary_forward<tanh_op>(a.data(), y.data(), plan.numel, 0.f, 0.f);
    return std::tuple{z, y, ga, gb};
  };
  const auto one = run(1), two = run(2);
  omp_set_num_threads(threads);
  CHECK(one == two);
}

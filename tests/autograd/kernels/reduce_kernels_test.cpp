// The SIMD/OpenMP reductions against the reference loops on [outer, n, inner] views: rows
// (inner 1) of lengths around the SIMD width and past the parallel block, other axes, column sums.
#include "autograd/kernels/reduce_simd.hpp"
#include "tests/autograd/kernels/kernel_test_support.hpp"

#include <omp.h>

#include <limits>

using namespace tapegrad;
using namespace tapegrad::kernels;
using tapegrad::test::random_buffer;

namespace {

template <class T> void check_reductions(AxisView v, std::uint64_t seed) {
  const std::int64_t in = v.outer * v.n * v.inner, out = v.outer * v.inner;
  const auto x = random_buffer<T>(in, seed, -5.0, 5.0);
  const auto gy_out = random_buffer<T>(out, seed + 1, -1.0, 1.0);
  const auto gy_in = random_buffer<T>(in, seed + 2, -1.0, 1.0);
  std::vector<T> y(static_cast<std::size_t>(out)), y_ref(y.size());
  std::vector<T> full(static_cast<std::size_t>(in)), full_ref(full.size());
  INFO((sizeof(T) == 4 ? "float32" : "float64")
       << " outer " << v.outer << " n " << v.n << " inner " << v.inner);
  // sum, compared relative to the sum of magnitudes
  std::vector<T> magnitude_in(x.size()), magnitude(y.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    magnitude_in[i] = std::abs(x[i]);
  sum_axis_forward_reference(magnitude_in.data(), magnitude.data(), v);
  sum_axis_forward(x.data(), y.data(), v);
  sum_axis_forward_reference(x.data(), y_ref.data(), v);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(y, y_ref, &magnitude);
  sum_axis_backward(gy_out.data(), full.data(), v);
  sum_axis_backward_reference(gy_out.data(), full_ref.data(), v);
  CHECK(full == full_ref);
  if (v.n > 0) {
    extreme_axis_forward<true>(x.data(), y.data(), v);
    extreme_axis_forward_reference<true>(x.data(), y_ref.data(), nullptr, v);
    CHECK(y == y_ref);
    extreme_axis_backward(x.data(), y_ref.data(), gy_out.data(), full.data(), v);
    extreme_axis_backward_reference(x.data(), y_ref.data(), gy_out.data(), full_ref.data(), v);
    CHECK(full == full_ref);
    extreme_axis_forward<false>(x.data(), y.data(), v);
    extreme_axis_forward_reference<false>(x.data(), y_ref.data(), nullptr, v);
    CHECK(y == y_ref);
    // With indices: the parallel slabs against the one reference loop.
    std::vector<std::int64_t> index(y.size()), index_ref(y.size());
    extreme_axis_forward<true>(x.data(), y.data(), index.data(), v);
    extreme_axis_forward_reference<true>(x.data(), y_ref.data(), index_ref.data(), v);
    CHECK(y == y_ref);
    CHECK(index == index_ref);
  }
  logsumexp_axis_forward(x.data(), y.data(), v);
  logsumexp_axis_forward_reference(x.data(), y_ref.data(), v);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(y, y_ref);
  logsumexp_axis_backward(x.data(), y_ref.data(), gy_out.data(), full.data(), v);
  logsumexp_axis_backward_reference(x.data(), y_ref.data(), gy_out.data(), full_ref.data(), v);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(full, full_ref);
  log_softmax_axis_forward(x.data(), full.data(), v);
  log_softmax_axis_forward_reference(x.data(), full_ref.data(), v);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(full, full_ref);
  std::vector<T> gx(full.size()), gx_ref(full.size());
  log_softmax_axis_backward(full_ref.data(), gy_in.data(), gx.data(), v);
  log_softmax_axis_backward_reference(full_ref.data(), gy_in.data(), gx_ref.data(), v);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(gx, gx_ref);
}

} // namespace

TEST_CASE("reduction kernels match the reference loops along rows and other axes", "[kernels]") {
  std::uint64_t seed = 100;
  const std::vector<AxisView> views = {{1, 1, 1},     {5, 3, 1},    {7, 16, 1},    {7, 17, 1},
                                       {3, 33, 1},    {64, 100, 1}, {2, 40000, 1}, {1, 70000, 1},
                                       {1, 13, 37},   {300, 1, 1},  {1, 500, 70},  {4, 9, 21},
                                       {3, 5, 20000}, {6, 0, 3},    {4, 1, 5}};
  for (const AxisView& v : views) {
    check_reductions<float>(v, seed++);
    check_reductions<double>(v, seed++);
  }
}

TEST_CASE("max, min and logsumexp kernels propagate NaN and handle infinities as the reference",
          "[kernels]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> x(3 * 40, 1.0);
  x[5] = nan;       // row 0: NaN in the SIMD body
  x[40 + 39] = nan; // row 1: NaN in the tail
  for (int j = 0; j < 40; ++j)
    x[80 + j] = -inf; // row 2: all -inf
  std::vector<double> y(3), y_ref(3);
  extreme_axis_forward<true>(x.data(), y.data(), AxisView{3, 40, 1});
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[1]));
  CHECK(y[2] == -inf);
  extreme_axis_forward<false>(x.data(), y.data(), AxisView{3, 40, 1});
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[1]));
  CHECK(y[2] == -inf);
  std::vector<std::int64_t> index(3);
  extreme_axis_forward<true>(x.data(), y.data(), index.data(), AxisView{3, 40, 1});
  CHECK(index == std::vector<std::int64_t>{5, 39, 0}); // the first NaN; the first of the ties
  logsumexp_axis_forward(x.data(), y.data(), AxisView{3, 40, 1});
  logsumexp_axis_forward_reference(x.data(), y_ref.data(), AxisView{3, 40, 1});
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[1]));
  CHECK(y[2] == y_ref[2]);
}

TEST_CASE("reduction kernels give the same bits on 1 and 2 threads", "[kernels]") {
  const int threads = omp_get_max_threads();
  const auto x = random_buffer<float>(3 * 100000, 7, -3.0, 3.0);
  const auto run = [&](int n_threads) {
    omp_set_num_threads(n_threads);
    std::vector<float> total(1), rows(3000), columns(1000), lse(3000);
    sum_axis_forward(x.data(), total.data(), AxisView{1, 300000, 1});
    sum_axis_forward(x.data(), rows.data(), AxisView{3000, 100, 1});
    sum_axis_forward(x.data(), columns.data(), AxisView{1, 300, 1000});
    logsumexp_axis_forward(x.data(), lse.data(), AxisView{3000, 100, 1});
    return std::tuple{total, rows, columns, lse};
  };
  const auto one = run(1), two = run(2);
  omp_set_num_threads(threads);
  CHECK(one == two);
}

// The fused head loss kernels (mdn/kernels/head.hpp) against their reference loops: every kind of
// scale, component counts and batch sizes around the SIMD width, NaN rows, the gradient of y on
// and off, and the same bits on 1 and 2 threads.
#include "mdn/kernels/head.hpp"
#include "tests/autograd/kernels/kernel_test_support.hpp"

#include <omp.h>

#include <limits>

using namespace tapegrad;
using namespace tapegrad::mdn::kernels;
using tapegrad::test::random_buffer;

namespace {

template <class T> struct HeadCase {
  HeadView v;
  std::vector<T> out, y;
  HeadCase(HeadView view, std::uint64_t seed, bool with_nan = false)
      : v(view), out(random_buffer<T>(v.batch * v.width(), seed, -2.0, 2.0)),
        y(random_buffer<T>(v.batch * v.dim, seed + 1, -2.0, 2.0)) {
    if (with_nan && v.batch > 3) {
      out[static_cast<std::size_t>(2 * v.width())] = std::numeric_limits<T>::quiet_NaN(); // logit
      y[static_cast<std::size_t>(3 * v.dim)] = std::numeric_limits<T>::quiet_NaN();
    }
  }

  // {sum}, d_out, d_y (each kind of kernel reads back its own record, whose layout differs)
  std::vector<std::vector<T>> run(bool reference, bool grad_y) const {
    std::vector<T> saved(static_cast<std::size_t>(head_saved_size<T>(v))), d_out(out.size(), T(7)),
        d_y(y.size(), T(7));
    const T weight = T(-0.37);
    T* dy = grad_y ? d_y.data() : nullptr;
    T sum;
    if (reference) {
      sum = head_nll_forward_reference(out.data(), y.data(), saved.data(), v);
      head_nll_backward_reference(out.data(), y.data(), saved.data(), weight, d_out.data(), dy, v);
    } else {
      sum = head_nll_forward(out.data(), y.data(), saved.data(), v);
      head_nll_backward(saved.data(), weight, d_out.data(), dy, v);
    }
    return {{sum}, d_out, d_y};
  }
};

template <class T> void check_against_reference(HeadView v, std::uint64_t seed, bool with_nan) {
  INFO("batch " << v.batch << ", K " << v.components << ", D " << v.dim << ", scales "
                << static_cast<int>(v.scales) << ", nan " << with_nan << ", "
                << (sizeof(T) == 4 ? "float" : "double"));
  const HeadCase<T> c(v, seed, with_nan);
  for (bool grad_y : {false, true}) {
    const auto want = c.run(true, grad_y), got = c.run(false, grad_y);
    for (std::size_t i = 0; i < want.size(); ++i) {
      INFO("output " << i << ", grad_y " << grad_y);
      // The sum adds every row's lse: its error grows with the batch.
      if (i == 0) {
        CHECK((std::isnan(want[0][0])
                   ? std::isnan(got[0][0])
                   : got[0][0] == Approx(want[0][0]).epsilon(sizeof(T) == 4 ? 1e-5 : 1e-12)));
        continue;
      }
      TAPEGRAD_CHECK_CLOSE_BUFFERS(got[i], want[i]);
    }
  }
}

} // namespace

TEST_CASE("fused head loss kernels match the reference loops", "[kernels]") {
  std::uint64_t seed = 1;
  for (HeadScales scales : {HeadScales::PerCoordinate, HeadScales::PerComponent, HeadScales::Fixed})
    for (std::int64_t k : {1, 5, 17})
      for (std::int64_t d : {1, 2, 3})
        for (std::int64_t batch : {1, 15, 17, 40}) {
          const HeadView v{batch, k, d, scales, 1e-3, 0.7};
          check_against_reference<float>(v, seed++, false);
          check_against_reference<double>(v, seed++, false);
        }
  check_against_reference<float>(HeadView{37, 5, 2, HeadScales::PerCoordinate, 1e-3, 1}, 7, true);
  check_against_reference<double>(HeadView{37, 5, 1, HeadScales::PerComponent, 1e-3, 1}, 8, true);
  // Several parallel blocks.
  check_against_reference<float>(HeadView{3000, 10, 1, HeadScales::PerCoordinate, 1e-3, 1}, 9,
                                 false);
}

TEST_CASE("fused head loss kernels give the same bits on 1 and 2 threads", "[kernels]") {
  const int threads = omp_get_max_threads();
  const HeadCase<float> c(HeadView{20000, 10, 2, HeadScales::PerCoordinate, 1e-3, 1}, 9);
  omp_set_num_threads(1);
  const auto one = c.run(false, true);
  omp_set_num_threads(2);
  const auto two = c.run(false, true);
  omp_set_num_threads(threads);
  CHECK(one == two);
}

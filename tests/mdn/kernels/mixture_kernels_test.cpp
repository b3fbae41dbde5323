// The fused diagonal-mixture log-likelihood kernels against their reference loops: diagonal and
// shared scales, component counts around the SIMD width, rows past a parallel block, and the same
// bits on 1 and 2 threads.
#include "mdn/kernels/mixture.hpp"
#include "tests/autograd/kernels/kernel_test_support.hpp"

#include <omp.h>

using namespace tapegrad;
using namespace tapegrad::mdn::kernels;
using tapegrad::test::random_buffer;

namespace {

template <class T> struct MixtureCase {
  MixtureView v;
  std::vector<T> log_pi, mean, scale, y, weight;
  explicit MixtureCase(MixtureView view, std::uint64_t seed)
      : v(view), log_pi(random_buffer<T>(v.batch * v.components, seed, -3.0, 0.0)),
        mean(random_buffer<T>(v.batch * v.components * v.dim, seed + 1, -2.0, 2.0)),
        scale(random_buffer<T>(v.batch * v.scales_per_row(), seed + 2, 0.2, 1.5)),
        y(random_buffer<T>(v.batch * v.dim, seed + 3, -2.0, 2.0)),
        weight(random_buffer<T>(v.batch, seed + 4, -1.0, 1.0)) {}

  // joint, lse, g_log_pi, g_mean, g_scale
  std::vector<std::vector<T>> run(bool reference) const {
    std::vector<T> joint(static_cast<std::size_t>(v.batch * v.components)),
        lse(static_cast<std::size_t>(v.batch)), g_log_pi(joint.size()), g_mean(mean.size()),
        g_scale(scale.size());
    if (reference) {
      diagonal_mixture_forward_reference(log_pi.data(), mean.data(), scale.data(), y.data(),
                                         joint.data(), lse.data(), v);
      diagonal_mixture_backward_reference(mean.data(), scale.data(), y.data(), joint.data(),
                                          lse.data(), weight.data(), g_log_pi.data(), g_mean.data(),
                                          g_scale.data(), v);
    } else {
      diagonal_mixture_forward(log_pi.data(), mean.data(), scale.data(), y.data(), joint.data(),
                               lse.data(), v);
      diagonal_mixture_backward(mean.data(), scale.data(), y.data(), joint.data(), lse.data(),
                                weight.data(), g_log_pi.data(), g_mean.data(), g_scale.data(), v);
    }
    return {joint, lse, g_log_pi, g_mean, g_scale};
  }
};

template <class T> void check_against_reference(MixtureView v, std::uint64_t seed) {
  INFO("batch " << v.batch << ", K " << v.components << ", D " << v.dim << ", shared "
                << v.shared_scale << ", " << (sizeof(T) == 4 ? "float" : "double"));
  const MixtureCase<T> c(v, seed);
  const auto want = c.run(true), got = c.run(false);
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("output " << i);
    TAPEGRAD_CHECK_CLOSE_BUFFERS(got[i], want[i]);
  }
}

} // namespace

TEST_CASE("diagonal mixture kernels match the reference loops", "[kernels]") {
  for (std::int64_t k : {1, 5, 16, 17, 40})
    for (std::int64_t d : {1, 2, 3})
      for (bool shared : {false, true}) {
        if (shared && d == 1)
          continue;
        const MixtureView v{37, k, d, shared};
        check_against_reference<float>(v, static_cast<std::uint64_t>(k * 10 + d));
        check_against_reference<double>(v, static_cast<std::uint64_t>(k * 10 + d));
      }
  check_against_reference<float>(MixtureView{5000, 10, 1, false}, 3); // several parallel blocks
}

TEST_CASE("diagonal mixture kernels give the same bits on 1 and 2 threads", "[kernels]") {
  const int threads = omp_get_max_threads();
  const MixtureCase<float> c(MixtureView{20000, 10, 2, false}, 9);
  omp_set_num_threads(1);
  const auto one = c.run(false);
  omp_set_num_threads(2);
  const auto two = c.run(false);
  omp_set_num_threads(threads);
  CHECK(one == two);
}

// The sampler's SIMD loops against their scalar twins: Box-Muller normals over lengths around the
// SIMD width, and the branch-free component search at every boundary of the running sums.
#include "mdn/kernels/sampling.hpp"
#include "tests/autograd/kernels/kernel_test_support.hpp"

#include <numbers>

using namespace tapegrad;
using namespace tapegrad::mdn::kernels;
using tapegrad::test::random_buffer;

TEST_CASE("box_muller matches its scalar reference", "[kernels][sampling]") {
  for (std::int64_t pairs : {0, 1, 7, 8, 9, 31, 1000}) {
    INFO(pairs << " pairs");
    std::vector<double> radius = random_buffer<double>(pairs, 1, 1e-300, 1.0);
    std::vector<double> angle = random_buffer<double>(pairs, 2, 0.0, 2 * std::numbers::pi);
    std::vector<double> want_r = radius, want_a = angle;
    box_muller(radius.data(), angle.data(), pairs);
    box_muller_reference(want_r.data(), want_a.data(), pairs);
    TAPEGRAD_CHECK_CLOSE_BUFFERS(radius, want_r);
    TAPEGRAD_CHECK_CLOSE_BUFFERS(angle, want_a);
  }
}

TEST_CASE("draw_component finds the component the plain search finds", "[kernels][sampling]") {
  // Weights with zeros among them (tau = 0 gives such rows), so that sums repeat.
  const std::vector<float> log_pi{-1.0f, -INFINITY, -0.5f, -2.0f, -INFINITY};
  for (double tau : {0.0, 0.5, 1.0, 3.0}) {
    const std::vector<float> sums = cumulative_weights(log_pi.data(), 1, 5, tau);
    INFO("tau " << tau);
    CHECK(sums.back() > 0);
    for (int i = 0; i <= 1000; ++i) {
      const double u = i == 1000 ? std::nextafter(1.0, 0.0) : i / 1000.0;
      const std::int64_t k = draw_component(sums.data(), 5, u);
      CHECK(k == draw_component_reference(sums.data(), 5, u));
      CHECK(log_pi[static_cast<std::size_t>(k)] > -INFINITY); // never a component of weight 0
    }
  }
}

// The optimisers' SIMD update loops against their scalar references, on sizes around the SIMD
// width and the parallel block, for Adam and AdamW coefficients, and the same bits on 1 and 2
// threads.
#include "autograd/kernels/optim.hpp"
#include "tests/autograd/kernels/kernel_test_support.hpp"

#include <omp.h>

#include <limits>

using namespace tapegrad;
using namespace tapegrad::kernels;
using tapegrad::test::random_buffer;

namespace {

template <class T> struct AdamState {
  std::vector<T> value, grad, m, v;
  AdamState(std::int64_t n, std::uint64_t seed)
      : value(random_buffer<T>(n, seed, -2.0, 2.0)), grad(random_buffer<T>(n, seed + 1, -1.0, 1.0)),
        m(random_buffer<T>(n, seed + 2, -0.1, 0.1)), v(random_buffer<T>(n, seed + 3, 0.0, 0.01)) {
    if (n > 3) { // NaN in the gradient gives NaN in the value and moments, as the reference
      grad[3] = std::numeric_limits<T>::quiet_NaN();
      grad[n - 1] = std::numeric_limits<T>::infinity();
    }
  }
};

template <class T> void check_adam(std::int64_t n, const AdamCoefficients<T>& c) {
  AdamState<T> got(n, 11), want(n, 11);
  adam_update(got.value.data(), got.grad.data(), got.m.data(), got.v.data(), n, c);
  adam_update_reference(want.value.data(), want.grad.data(), want.m.data(), want.v.data(), n, c);
  INFO((sizeof(T) == 4 ? "float32" : "float64")
       << " n " << n << " keep " << c.keep << " l2 " << c.l2);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(got.value, want.value);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(got.m, want.m);
  TAPEGRAD_CHECK_CLOSE_BUFFERS(got.v, want.v);
}

template <class T> std::vector<AdamCoefficients<T>> coefficient_sets() {
  return {{T(1), T(0), T(0.9), T(0.999), T(1e-8), T(1e-3) / T(0.1), std::sqrt(T(0.001))},
          {T(1), T(0.01), T(0.9), T(0.999), T(1e-8), T(0.01), T(0.5)},    // Adam, L2 decay
          {T(0.999), T(0), T(0.8), T(0.99), T(1e-6), T(0.002), T(0.25)}}; // AdamW
}

} // namespace

TEST_CASE("adam_update matches the reference loop around the SIMD width and the block",
          "[kernels][optim]") {
  for (const std::int64_t n : {0, 1, 7, 15, 16, 17, 33, 100, 1615, 16384 + 5, 3 * 16384 + 31}) {
    for (const auto& c : coefficient_sets<float>())
      check_adam<float>(n, c);
    for (const auto& c : coefficient_sets<double>())
      check_adam<double>(n, c);
  }
}

TEST_CASE("adam_update gives the same bits on 1 and 2 threads", "[kernels][optim]") {
  const int threads = omp_get_max_threads();
  const std::int64_t n = 5 * 16384 + 9;
  const auto c = coefficient_sets<float>()[1];
  const auto run = [&](int n_threads) {
    omp_set_num_threads(n_threads);
    AdamState<float> s(n, 5);
    adam_update(s.value.data(), s.grad.data(), s.m.data(), s.v.data(), n, c);
    return s.value;
  };
  const auto one = run(1), two = run(2);
  CHECK(std::equal(one.begin(), one.end(), two.begin(), two.end(),
                   [](float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }));
  omp_set_num_threads(threads);
}

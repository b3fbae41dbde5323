// Both GEMM paths (packed, small) and the automatic choice against the triple loop: shapes that are
// and are not multiples of the micro-tile and cache blocks, all four transpose combinations, padded
// row strides, alpha and beta, and the same bits on 1 and 2 threads.
#include "autograd/kernels/gemm.hpp"
#include "tests/autograd/kernels/kernel_test_support.hpp"

#include <omp.h>

#include <cmath>
#include <limits>

using namespace tapegrad;
using namespace tapegrad::kernels;
using tapegrad::test::random_buffer;

namespace {

template <class T>
void check_gemm(std::int64_t m, std::int64_t n, std::int64_t k, bool ta, bool tb, T alpha, T beta,
                std::uint64_t seed, GemmPath path) {
  // Stored shapes, with 3 elements of padding per row to test the row strides.
  const std::int64_t a_rows = ta ? k : m, a_cols = ta ? m : k;
  const std::int64_t b_rows = tb ? n : k, b_cols = tb ? k : n;
  const GemmArgs g{ta, tb, m, n, k, a_cols + 3, b_cols + 3, n + 3};
  const auto a = random_buffer<T>(a_rows * g.lda, seed, -1.0, 1.0);
  const auto b = random_buffer<T>(b_rows * g.ldb, seed + 1, -1.0, 1.0);
  auto c = random_buffer<T>(m * g.ldc, seed + 2, -1.0, 1.0);
  if (beta == T(0))
    c[0] = std::numeric_limits<T>::quiet_NaN(); // beta = 0 overwrites, NaN included
  auto c_ref = c;
  gemm(g, alpha, a.data(), b.data(), beta, c.data(), path);
  gemm_reference(g, alpha, a.data(), b.data(), beta, c_ref.data());
  // The error bound of a dot product: relative to sum |alpha a b| + |beta c|.
  std::vector<T> abs_a(a.size()), abs_b(b.size()), scale(c.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    abs_a[i] = std::abs(a[i]);
  for (std::size_t i = 0; i < b.size(); ++i)
    abs_b[i] = std::abs(b[i]);
  for (std::size_t i = 0; i < c.size(); ++i)
    scale[i] = beta == T(0) ? T(0) : std::abs(beta * c[i]);
  gemm_reference(g, std::abs(alpha), abs_a.data(), abs_b.data(), T(beta != T(0)), scale.data());
  INFO((sizeof(T) == 4 ? "float32" : "float64")
       << " m " << m << " n " << n << " k " << k << " transpose " << ta << tb << " alpha " << alpha
       << " beta " << beta << " path " << static_cast<int>(path));
  TAPEGRAD_CHECK_CLOSE_BUFFERS(c, c_ref, &scale);
}

} // namespace

TEST_CASE("gemm matches the triple loop on odd shapes, transposes, strides, alpha and beta",
          "[kernels]") {
  std::uint64_t seed = 1000;
  const std::vector<std::array<std::int64_t, 3>> shapes = {
      {1, 1, 1},      {1, 17, 5},    {13, 1, 9},     {12, 32, 16}, {7, 33, 300},
      {25, 40, 1},    {97, 65, 33},  {200, 19, 520}, {3, 300, 2},  {64, 64, 64},
      {390, 70, 800}, {400, 4100, 3}}; // several k, row and column blocks of the packed path
  for (const GemmPath path : {GemmPath::Automatic, GemmPath::Packed, GemmPath::Small}) {
    for (const auto& [m, n, k] : shapes)
      for (int t = 0; t < 4; ++t) {
        check_gemm<float>(m, n, k, t & 1, t & 2, 1.0f, 0.0f, seed++, path);
        check_gemm<double>(m, n, k, t & 1, t & 2, 1.0, 0.0, seed++, path);
      }
    check_gemm<float>(31, 45, 70, false, true, -0.5f, 1.0f, seed++, path);
    check_gemm<double>(31, 45, 70, true, false, 2.0, 0.25, seed++, path);
    check_gemm<float>(300, 290, 270, false, false, 1.0f, 0.5f, seed++, path);
    check_gemm<double>(130, 270, 260, true, true, 1.0, 0.0, seed++, path);
    // The layers of the MDN benchmarks: X W^T, dY W and dY^T X.
    check_gemm<float>(512, 64, 64, false, true, 1.0f, 1.0f, seed++, path);
    check_gemm<float>(512, 30, 64, false, false, 1.0f, 0.0f, seed++, path);
    check_gemm<double>(64, 64, 512, true, false, 1.0, 1.0, seed++, path);
  }
}

TEST_CASE("gemm with k = 0 scales C by beta", "[kernels]") {
  std::vector<float> c = {1, 2, 3, 4};
  gemm<float>(GemmArgs{false, false, 2, 2, 0, 0, 2, 2}, 1.f, nullptr, nullptr, 0.5f, c.data());
  CHECK(c == std::vector<float>{0.5f, 1, 1.5f, 2});
}

TEST_CASE("gemm gives the same bits on 1 and 2 threads", "[kernels]") {
  const int threads = omp_get_max_threads();
  for (const auto& [m, n, k] : std::vector<std::array<std::int64_t, 3>>{
           {301, 67, 290}, {67, 301, 290}, {64, 64, 1000}, {512, 64, 64}, {1024, 256, 256}})
    for (const GemmPath path : {GemmPath::Automatic, GemmPath::Packed, GemmPath::Small}) {
      const auto a = random_buffer<float>(m * k, 1, -1.0, 1.0);
      const auto b = random_buffer<float>(k * n, 2, -1.0, 1.0);
      const auto run = [&](int n_threads) {
        omp_set_num_threads(n_threads);
        std::vector<float> c(static_cast<std::size_t>(m * n));
        gemm<float>(GemmArgs{false, false, m, n, k, k, n, n}, 1.f, a.data(), b.data(), 0.f,
                    c.data(), path);
        return c;
      };
      const auto one = run(1), two = run(2);
      CHECK(one == two);
    }
  omp_set_num_threads(threads);
}

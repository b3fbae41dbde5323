#pragma once
// Random buffers and the comparison every kernel test uses: float32 within 1e-5 and float64
// within 1e-12, relative to the reference value (or to 1 below it in magnitude).
#include "autograd/generator.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace tapegrad::test {

template <class T> constexpr double kernel_tolerance() {
  return sizeof(T) == 4 ? 1e-5 : 1e-12;
}

template <class T>
std::vector<T> random_buffer(std::int64_t count, std::uint64_t seed, double lo, double hi) {
  Generator gen(seed);
  std::vector<T> values(static_cast<std::size_t>(count));
  for (T& v : values)
    v = static_cast<T>(lo + (hi - lo) * gen.uniform());
  return values;
}

// The index of the worst element, or -1 when all are within tolerance (scale: the error bound's
// magnitude per element, |reference| by default).
template <class T>
std::int64_t worst_mismatch(const std::vector<T>& got, const std::vector<T>& want,
                            const std::vector<T>* scale = nullptr) {
  std::int64_t worst = -1;
  double worst_excess = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double w = want[i], g = got[i];
    if (g == w || (std::isnan(w) && std::isnan(g)))
      continue;
    const double magnitude = scale ? static_cast<double>((*scale)[i]) : std::abs(w);
    const double excess = std::abs(g - w) - kernel_tolerance<T>() * std::max(magnitude, 1.0);
    if (!(excess <= 0) && (worst < 0 || excess > worst_excess)) {
      worst = static_cast<std::int64_t>(i);
      worst_excess = excess;
    }
  }
  return worst;
}

#define TAPEGRAD_CHECK_CLOSE_BUFFERS(got, want, ...)                                               \
  do {                                                                                             \
    const std::int64_t bad_ =                                                                      \
        ::tapegrad::test::worst_mismatch(got, want __VA_OPT__(, ) __VA_ARGS__);                    \
    INFO("worst at " << bad_ << ": got "                                                           \
                     << (bad_ >= 0 ? (got)[static_cast<std::size_t>(bad_)] : 0) << ", want "       \
                     << (bad_ >= 0 ? (want)[static_cast<std::size_t>(bad_)] : 0));                 \
    CHECK(bad_ < 0);                                                                               \
  } while (false)

} // namespace tapegrad::test

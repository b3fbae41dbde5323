#include "mdn/sampling.hpp"

#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/simd.hpp"
#include "nn/seed.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <vector>

namespace tapegrad::mdn {

namespace {

using kernels::Batch;
using kernels::kWidth;

// Rows are drawn in blocks of this many, each block from its own stream: the samples then depend
// on the generator's state and the row, never on how many threads drew them.
constexpr std::int64_t kRowsPerBlock = 256;

// out[i] = exp(out[i]) over a buffer, SIMD where it can be (the tail stays scalar).
template <class T> void exp_in_place(std::vector<T>& values) {
  const auto size = static_cast<std::int64_t>(values.size());
  std::int64_t i = 0;
  for (; i + kWidth<T> <= size; i += kWidth<T>)
    xsimd::exp(Batch<T>::load_unaligned(values.data() + i)).store_unaligned(values.data() + i);
  for (; i < size; ++i)
    values[i] = std::exp(values[i]);
}

// Standard normals by Box-Muller, two from each pair of uniforms: the uniforms come from the
// generator in order, the logarithms, square roots and sines in SIMD batches.
void fill_normal(Generator& generator, std::vector<double>& out) {
  const std::size_t pairs = (out.size() + 1) / 2;
  std::vector<double> radius(pairs), angle(pairs);
  for (std::size_t p = 0; p < pairs; ++p) {
    radius[p] = 1.0 - generator.uniform(); // in (0, 1], so its logarithm is finite
    angle[p] = 2.0 * std::numbers::pi * generator.uniform();
  }
  const auto count = static_cast<std::int64_t>(pairs);
  std::int64_t p = 0;
  for (; p + kWidth<double> <= count; p += kWidth<double>) {
    const auto r = xsimd::sqrt(-2.0 * xsimd::log(Batch<double>::load_unaligned(&radius[p])));
    const auto [s, c] = xsimd::sincos(Batch<double>::load_unaligned(&angle[p]));
    (r * c).store_unaligned(&radius[p]);
    (r * s).store_unaligned(&angle[p]);
  }
  for (; p < count; ++p) {
    const double r = std::sqrt(-2.0 * std::log(radius[p]));
    radius[p] = r * std::cos(angle[p]);
    angle[p] = r * std::sin(angle[p]);
  }
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = i % 2 == 0 ? radius[i / 2] : angle[i / 2];
}

// The running sums of the mixing weights of rows [begin, end), softened by the temperature:
// the weights are exp((log_pi - max) / tau), or the most probable component alone at tau = 0.
// Drawing a component is then a search for u * total among the row's sums. In the mixture's
// dtype, as PyTorch's sampling does: float's rounding shifts a weight by about 1e-7 of the total.
template <class T>
std::vector<T> cumulative_weights(const T* log_pi, std::int64_t begin, std::int64_t end,
                                  std::int64_t components, double tau) {
  std::vector<T> w(static_cast<std::size_t>((end - begin) * components));
  const T inverse_tau = tau == 0 ? T(0) : static_cast<T>(1.0 / tau);
  for (std::int64_t b = begin; b < end; ++b) {
    const T* row = log_pi + b * components;
    T* out = w.data() + (b - begin) * components;
    const std::int64_t top = std::max_element(row, row + components) - row;
    for (std::int64_t k = 0; k < components; ++k)
      out[k] = (row[k] - row[top]) * inverse_tau;
    if (tau == 0) {
      std::fill(out, out + components, -INFINITY);
      out[top] = 0;
    }
  }
  exp_in_place(w);
  for (std::int64_t r = 0; r < end - begin; ++r)
    std::partial_sum(w.data() + r * components, w.data() + (r + 1) * components,
                     w.data() + r * components);
  return w;
}

// The component whose stretch of the running sums holds u * total, for u in [0, 1): the number
// of sums at or below the target, counted without branches (a random branch per row would be
// mispredicted half the time).
template <class T> std::int64_t draw_component(const T* sums, std::int64_t components, double u) {
  const double target = u * static_cast<double>(sums[components - 1]);
  std::int64_t below = 0;
  for (std::int64_t k = 0; k < components; ++k)
    below += static_cast<double>(sums[k]) <= target;
  if (below < components)
    return below;
  // Rounding can put the target on the total itself: the last component with weight.
  for (std::int64_t k = components - 1; k > 0; --k)
    if (sums[k] > sums[k - 1])
      return k;
  return 0;
}

template <class T>
void sample_rows(const Mixture& mixture, std::int64_t n, std::uint64_t stream,
                 const SampleOptions& options, T* out) {
  const std::int64_t batch = mixture.batch_size(), components = mixture.num_components(),
                     d = mixture.dim();
  const T* log_pi = mixture.log_pi.data_ptr<T>();
  const T* mean = mixture.mean.data_ptr<T>();
  const T* scale = mixture.scale.data_ptr<T>();
  const double stretch = std::sqrt(options.sigma_temperature);
  // The scale of component (b, k) along dimension i (Diagonal, Isotropic, Fixed), or its factor L.
  const std::int64_t scale_stride = mixture.noise == NoiseModel::Full       ? d * d
                                    : mixture.noise == NoiseModel::Diagonal ? d
                                                                            : 1;
  kernels::parallel_blocks(
      kernels::ceil_div(batch, kRowsPerBlock), batch * n * (components + 8 * d),
      [&](std::int64_t block) {
        const std::int64_t begin = block * kRowsPerBlock,
                           end = std::min(batch, begin + kRowsPerBlock);
        Generator generator(nn::derive_seed(stream, static_cast<std::uint64_t>(block)));
        const std::vector<T> sums =
            cumulative_weights(log_pi, begin, end, components, options.temperature);
        std::vector<double> eps(static_cast<std::size_t>((end - begin) * n * d));
        fill_normal(generator, eps);
        for (std::int64_t b = begin; b < end; ++b)
          for (std::int64_t s = 0; s < n; ++s) {
            const std::int64_t k = draw_component(sums.data() + (b - begin) * components,
                                                  components, generator.uniform());
            const T* mu = mean + (b * components + k) * d;
            const T* l = scale + (b * components + k) * scale_stride;
            const double* e = eps.data() + ((b - begin) * n + s) * d;
            T* y = out + (b * n + s) * d;
            for (std::int64_t i = 0; i < d; ++i) {
              double acc = 0;
              switch (mixture.noise) {
              case NoiseModel::Full:
                for (std::int64_t j = 0; j <= i; ++j)
                  acc += static_cast<double>(l[i * d + j]) * e[j];
                break;
              case NoiseModel::Diagonal:
                acc = static_cast<double>(l[i]) * e[i];
                break;
              case NoiseModel::Isotropic:
              case NoiseModel::Fixed:
                acc = static_cast<double>(l[0]) * e[i];
                break;
              }
              y[i] = static_cast<T>(static_cast<double>(mu[i]) + stretch * acc);
            }
          }
      });
}

} // namespace

Tensor sample(const Mixture& mixture, std::int64_t n, Generator& generator,
              const SampleOptions& options) {
  if (n < 0)
    fail("sample: expected a non-negative number of samples, got {}", n);
  if (!(options.temperature >= 0) || !std::isfinite(options.temperature))
    fail("sample: the temperature must be a finite number >= 0, got {}", options.temperature);
  if (!(options.sigma_temperature >= 0) || !std::isfinite(options.sigma_temperature))
    fail("sample: the sigma temperature must be a finite number >= 0, got {}",
         options.sigma_temperature);
  const Mixture checked(mixture.noise, mixture.log_pi, mixture.mean, mixture.scale);
  Tensor out = empty({checked.batch_size(), n, checked.dim()}, checked.mean.dtype());
  const std::uint64_t stream = generator.next_u64(); // one draw, whatever the batch
  dispatch_floating(out.dtype(), "sample", [&]<class T>() {
    sample_rows<T>(checked, n, stream, options, out.data_ptr<T>());
  });
  return out;
}

} // namespace tapegrad::mdn

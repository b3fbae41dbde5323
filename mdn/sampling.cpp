#include "mdn/sampling.hpp"

#include "autograd/kernels/parallel.hpp"
#include "mdn/kernels/sampling.hpp"
#include "nn/seed.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <vector>

namespace tapegrad::mdn {

namespace {

// Rows are drawn in blocks of this many, each block from its own stream: the samples then depend
// on the generator's state and the row, never on how many threads drew them.
constexpr std::int64_t kRowsPerBlock = 256;

// Standard normals, two from each pair of uniforms (kernels::box_muller): the uniforms come from
// the generator in order, the logarithms, square roots and sines in SIMD batches.
void fill_normal(Generator& generator, std::vector<double>& out) {
  const std::size_t pairs = (out.size() + 1) / 2;
  std::vector<double> radius(pairs), angle(pairs);
  for (std::size_t p = 0; p < pairs; ++p) {
    radius[p] = 1.0 - generator.uniform(); // in (0, 1], so its logarithm is finite
    angle[p] = 2.0 * std::numbers::pi * generator.uniform();
  }
  kernels::box_muller(radius.data(), angle.data(), static_cast<std::int64_t>(pairs));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = i % 2 == 0 ? radius[i / 2] : angle[i / 2];
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
  const auto draw_block = [&](std::int64_t block) {
    const std::int64_t begin = block * kRowsPerBlock, end = std::min(batch, begin + kRowsPerBlock);
    Generator generator(nn::derive_seed(stream, static_cast<std::uint64_t>(block)));
    const std::vector<T> sums = kernels::cumulative_weights(
        log_pi + begin * components, end - begin, components, options.temperature);
    std::vector<double> eps(static_cast<std::size_t>((end - begin) * n * d));
    fill_normal(generator, eps);
    for (std::int64_t b = begin; b < end; ++b)
      for (std::int64_t s = 0; s < n; ++s) {
        const std::int64_t k = kernels::draw_component(sums.data() + (b - begin) * components,
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
  };
  tapegrad::kernels::parallel_blocks(tapegrad::kernels::ceil_div(batch, kRowsPerBlock),
                                     batch * n * (components + 8 * d), draw_block);
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

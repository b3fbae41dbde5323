#pragma once
// Random but well-behaved mixtures for the mdn tests.
#include <autograd/autograd.hpp>
#include <mdn/mdn.hpp>

#include <catch2/catch.hpp>

#include <vector>

namespace tapegrad::test {

// Scales in [0.3, 1.3], off-diagonal Cholesky entries in [-0.5, 0.5], means in [-3, 3], mixing
// logits in [-1, 1].
inline mdn::Mixture random_mixture(mdn::NoiseModel noise, std::int64_t b, std::int64_t k,
                                   std::int64_t d, std::uint64_t seed, DType dtype = kFloat64) {
  Generator gen(seed);
  NoGradGuard no_grad;
  const Tensor log_pi = log_softmax(rand({b, k}, gen, dtype) * 2.0 - 1.0, 1);
  const Tensor mean = rand({b, k, d}, gen, dtype) * 6.0 - 3.0;
  Tensor scale;
  switch (noise) {
  case mdn::NoiseModel::Diagonal:
    scale = rand({b, k, d}, gen, dtype) + 0.3;
    break;
  case mdn::NoiseModel::Isotropic:
    scale = rand({b, k, 1}, gen, dtype) + 0.3;
    break;
  case mdn::NoiseModel::Fixed:
    scale = full({b, k, 1}, 0.7, dtype);
    break;
  case mdn::NoiseModel::Full: {
    scale = rand({b, k, d, d}, gen, dtype) - 0.5;
    std::vector<double> l = scale.to_vector<double>();
    for (std::int64_t c = 0; c < b * k; ++c)
      for (std::int64_t i = 0; i < d; ++i) {
        l[(c * d + i) * d + i] = 0.3 + std::abs(l[(c * d + i) * d + i]) * 2;
        for (std::int64_t j = i + 1; j < d; ++j)
          l[(c * d + i) * d + j] = 0;
      }
    scale = from_vector(l, {b, k, d, d}, dtype);
    break;
  }
  }
  return mdn::Mixture(noise, log_pi, mean, scale);
}

inline const std::vector<mdn::NoiseModel>& all_noise_models() {
  static const std::vector<mdn::NoiseModel> models{mdn::NoiseModel::Full, mdn::NoiseModel::Diagonal,
                                                   mdn::NoiseModel::Isotropic,
                                                   mdn::NoiseModel::Fixed};
  return models;
}

} // namespace tapegrad::test

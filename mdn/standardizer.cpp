#include "mdn/standardizer.hpp"

#include "autograd/ops.hpp"

#include <cmath>

namespace tapegrad::mdn {

namespace {
Tensor row(const std::vector<double>& v, DType dtype) {
  return from_vector(v, {static_cast<std::int64_t>(v.size())}, dtype);
}
} // namespace

Standardizer Standardizer::fit(const Tensor& data) {
  const std::int64_t n = data.size(0), c = data.size(1);
  const std::vector<double> v = data.to_vector<double>();
  Standardizer s;
  s.mean.assign(static_cast<std::size_t>(c), 0.0);
  s.std.assign(static_cast<std::size_t>(c), 0.0);
  for (std::int64_t j = 0; j < c; ++j) {
    double sum = 0, sq = 0;
    for (std::int64_t i = 0; i < n; ++i)
      sum += v[static_cast<std::size_t>(i * c + j)];
    const double m = sum / static_cast<double>(n);
    for (std::int64_t i = 0; i < n; ++i)
      sq += std::pow(v[static_cast<std::size_t>(i * c + j)] - m, 2);
    const double sd = std::sqrt(sq / static_cast<double>(n));
    s.mean[static_cast<std::size_t>(j)] = m;
    s.std[static_cast<std::size_t>(j)] = sd > 1e-12 * (1 + std::abs(m)) ? sd : 1.0;
  }
  return s;
}

Tensor Standardizer::apply(const Tensor& data) const {
  NoGradGuard no_grad;
  return (data - row(mean, data.dtype())) / row(std, data.dtype());
}

Tensor Standardizer::invert(const Tensor& data) const {
  NoGradGuard no_grad;
  return data * row(std, data.dtype()) + row(mean, data.dtype());
}

double Standardizer::log_scale_sum() const {
  double sum = 0;
  for (double s : std)
    sum += std::log(s);
  return sum;
}

Mixture Standardizer::unstandardize(const Mixture& m) const {
  NoGradGuard no_grad;
  const DType dtype = m.mean.dtype();
  const auto d = static_cast<std::int64_t>(std.size());
  const Tensor s = row(std, dtype);
  const Tensor mean_out = m.mean * s + row(mean, dtype);
  bool equal = true;
  for (double v : std)
    equal = equal && v == std[0];
  switch (m.noise) {
  case NoiseModel::Diagonal:
    return {m.noise, m.log_pi, mean_out, m.scale * s};
  case NoiseModel::Isotropic:
  case NoiseModel::Fixed:
    if (equal)
      return {m.noise, m.log_pi, mean_out, m.scale * std[0]};
    return {NoiseModel::Diagonal, m.log_pi, mean_out, m.scale * s};
  case NoiseModel::Full:
    return {m.noise, m.log_pi, mean_out, m.scale * s.reshape({d, 1})};
  }
  return m;
}

} // namespace tapegrad::mdn

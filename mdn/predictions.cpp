#include "mdn/predictions.hpp"

#include "autograd/tape.hpp"
#include "mdn/dense_mixture.hpp"

#include <cmath>

namespace tapegrad::mdn {

namespace {

using Matrix = std::vector<double>; // D x D, row-major

// Sigma = L L^T
Matrix covariance_of(const double* l, std::int64_t d) {
  Matrix sigma(static_cast<std::size_t>(d * d), 0.0);
  for (std::int64_t i = 0; i < d; ++i)
    for (std::int64_t j = 0; j < d; ++j)
      for (std::int64_t p = 0; p <= std::min(i, j); ++p)
        sigma[i * d + j] += l[i * d + p] * l[j * d + p];
  return sigma;
}

// Sigma^-1 = L^-T L^-1, column by column: solve L u = e_c, then L^T v = u.
Matrix precision_of(const double* l, std::int64_t d) {
  Matrix precision(static_cast<std::size_t>(d * d));
  std::vector<double> u(static_cast<std::size_t>(d)), v(static_cast<std::size_t>(d));
  for (std::int64_t c = 0; c < d; ++c) {
    for (std::int64_t i = 0; i < d; ++i) {
      double acc = i == c ? 1.0 : 0.0;
      for (std::int64_t j = 0; j < i; ++j)
        acc -= l[i * d + j] * u[j];
      u[i] = acc / l[i * d + i];
    }
    for (std::int64_t i = d - 1; i >= 0; --i) {
      double acc = u[i];
      for (std::int64_t j = i + 1; j < d; ++j)
        acc -= l[j * d + i] * v[j];
      v[i] = acc / l[i * d + i];
    }
    for (std::int64_t i = 0; i < d; ++i)
      precision[i * d + c] = v[i];
  }
  return precision;
}

// Solves A x = b for symmetric positive definite A by Cholesky, overwriting A with its factor;
// false if A is not positive definite.
bool solve_spd(Matrix& a, std::vector<double>& x, std::int64_t d) {
  for (std::int64_t j = 0; j < d; ++j) {
    double diag = a[j * d + j];
    for (std::int64_t p = 0; p < j; ++p)
      diag -= a[j * d + p] * a[j * d + p];
    if (!(diag > 0))
      return false;
    a[j * d + j] = std::sqrt(diag);
    for (std::int64_t i = j + 1; i < d; ++i) {
      double acc = a[i * d + j];
      for (std::int64_t p = 0; p < j; ++p)
        acc -= a[i * d + p] * a[j * d + p];
      a[i * d + j] = acc / a[j * d + j];
    }
  }
  for (std::int64_t i = 0; i < d; ++i) { // L z = b
    double acc = x[i];
    for (std::int64_t p = 0; p < i; ++p)
      acc -= a[i * d + p] * x[p];
    x[i] = acc / a[i * d + i];
  }
  for (std::int64_t i = d - 1; i >= 0; --i) { // L^T x = z
    double acc = x[i];
    for (std::int64_t p = i + 1; p < d; ++p)
      acc -= a[p * d + i] * x[p];
    x[i] = acc / a[i * d + i];
  }
  return true;
}

Tensor to_tensor(const std::vector<double>& values, const Shape& shape, const Mixture& like) {
  return from_vector(values, shape, like.mean.dtype());
}

} // namespace

Tensor mixture_mean(const Mixture& mixture) {
  const DenseMixture m(mixture);
  std::vector<double> out(static_cast<std::size_t>(m.batch * m.dim), 0.0);
  for (std::int64_t b = 0; b < m.batch; ++b)
    for (std::int64_t k = 0; k < m.components; ++k)
      for (std::int64_t i = 0; i < m.dim; ++i)
        out[b * m.dim + i] += m.pi(b, k) * m.mean_of(b, k)[i];
  return to_tensor(out, {m.batch, m.dim}, mixture);
}

Tensor most_probable_mean(const Mixture& mixture) {
  const DenseMixture m(mixture);
  std::vector<double> out;
  for (std::int64_t b = 0; b < m.batch; ++b) {
    const double* mu = m.mean_of(b, m.most_probable(b));
    out.insert(out.end(), mu, mu + m.dim);
  }
  return to_tensor(out, {m.batch, m.dim}, mixture);
}

Covariance mixture_covariance(const Mixture& mixture) {
  const DenseMixture m(mixture);
  const std::int64_t d = m.dim;
  std::vector<double> within(static_cast<std::size_t>(m.batch * d * d), 0.0),
      between(within.size(), 0.0);
  for (std::int64_t b = 0; b < m.batch; ++b) {
    std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
    for (std::int64_t k = 0; k < m.components; ++k)
      for (std::int64_t i = 0; i < d; ++i)
        mean[i] += m.pi(b, k) * m.mean_of(b, k)[i];
    for (std::int64_t k = 0; k < m.components; ++k) {
      const double pi = m.pi(b, k);
      const Matrix sigma = covariance_of(m.tril_of(b, k), d);
      const double* mu = m.mean_of(b, k);
      for (std::int64_t i = 0; i < d; ++i)
        for (std::int64_t j = 0; j < d; ++j) {
          const auto at = static_cast<std::size_t>((b * d + i) * d + j);
          within[at] += pi * sigma[i * d + j];
          between[at] += pi * (mu[i] - mean[i]) * (mu[j] - mean[j]);
        }
    }
  }
  std::vector<double> total(within.size());
  for (std::size_t i = 0; i < total.size(); ++i)
    total[i] = within[i] + between[i];
  const Shape shape{m.batch, d, d};
  return {to_tensor(within, shape, mixture), to_tensor(between, shape, mixture),
          to_tensor(total, shape, mixture)};
}

Tensor mixture_mode(const Mixture& mixture, const ModeOptions& options) {
  const DenseMixture m(mixture);
  const std::int64_t d = m.dim, kk = m.components;
  std::vector<double> out(static_cast<std::size_t>(m.batch * d));
  // Rows in parallel, each thread with its own buffers; a row's mode depends on that row alone.
  for_each_row(m.batch, kk * kk * d * d * 50, [&](std::int64_t b) {
    std::vector<Matrix> precisions(static_cast<std::size_t>(kk));
    std::vector<double> y(static_cast<std::size_t>(d)), next(static_cast<std::size_t>(d)), best_y;
    std::vector<double> log_r(static_cast<std::size_t>(kk));
    Matrix a(static_cast<std::size_t>(d * d));
    for (std::int64_t k = 0; k < kk; ++k)
      precisions[k] = precision_of(m.tril_of(b, k), d);
    double best = -INFINITY;
    for (std::int64_t start = 0; start < kk; ++start) {
      y.assign(m.mean_of(b, start), m.mean_of(b, start) + d);
      for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
        // Responsibilities at y, normalised in log space.
        double top = -INFINITY;
        for (std::int64_t k = 0; k < kk; ++k) {
          log_r[k] = m.log_pi[b * kk + k] + m.component_log_density(b, k, y.data());
          top = std::max(top, log_r[k]);
        }
        std::fill(a.begin(), a.end(), 0.0);
        std::fill(next.begin(), next.end(), 0.0);
        for (std::int64_t k = 0; k < kk; ++k) {
          const double r = std::exp(log_r[k] - top);
          const Matrix& p = precisions[k];
          const double* mu = m.mean_of(b, k);
          for (std::int64_t i = 0; i < d; ++i)
            for (std::int64_t j = 0; j < d; ++j) {
              a[i * d + j] += r * p[i * d + j];
              next[i] += r * p[i * d + j] * mu[j];
            }
        }
        if (!solve_spd(a, next, d))
          break;
        double step = 0, size = 0;
        for (std::int64_t i = 0; i < d; ++i) {
          step = std::max(step, std::abs(next[i] - y[i]));
          size = std::max(size, std::abs(next[i]));
        }
        y = next;
        if (step <= options.tolerance * (1 + size))
          break;
      }
      const double density = m.log_density(b, y.data());
      if (density > best || best_y.empty()) {
        best = density;
        best_y = y;
      }
    }
    std::copy(best_y.begin(), best_y.end(), out.begin() + b * d);
  });
  return to_tensor(out, {m.batch, d}, mixture);
}

Tensor density_grid(const Mixture& mixture, std::int64_t row, const Tensor& points) {
  const DenseMixture m(mixture);
  if (row < 0 || row >= m.batch)
    fail("density_grid: row {} is out of range (the batch has {} rows)", row, m.batch);
  if (points.dim() != 2 || points.size(1) != m.dim)
    fail("density_grid: points have shape {}, expected [G, {}]", points.shape(), m.dim);
  const std::vector<double> y = points.to_vector<double>();
  std::vector<double> out(static_cast<std::size_t>(points.size(0)));
  for (std::size_t g = 0; g < out.size(); ++g)
    out[g] = std::exp(m.log_density(row, y.data() + static_cast<std::int64_t>(g) * m.dim));
  return from_vector(out, {points.size(0)}, kFloat64);
}

Mixture marginal(const Mixture& m, std::int64_t output) {
  const std::int64_t b = m.batch_size(), k = m.num_components(), d = m.dim();
  if (output < 0 || output >= d)
    fail("marginal: output {} of a mixture of {} outputs; expected 0 to {}", output, d, d - 1);
  NoGradGuard no_grad;
  const Tensor mean = m.mean.slice(2, output, output + 1);
  if (m.noise == NoiseModel::Isotropic || m.noise == NoiseModel::Fixed)
    return Mixture(m.noise, m.log_pi.detach(), mean.detach(), m.scale.detach());
  if (m.noise == NoiseModel::Diagonal)
    return Mixture(m.noise, m.log_pi.detach(), mean.detach(),
                   m.scale.slice(2, output, output + 1).detach());
  // Full: y_j = mu_j + sum_i L_ji eps_i, so its standard deviation is the norm of row j of L.
  const std::vector<double> l = m.scale.to_vector<double>();
  std::vector<double> sigma(static_cast<std::size_t>(b * k));
  for (std::int64_t c = 0; c < b * k; ++c) {
    double sum = 0;
    for (std::int64_t i = 0; i <= output; ++i)
      sum += std::pow(l[static_cast<std::size_t>((c * d + output) * d + i)], 2);
    sigma[static_cast<std::size_t>(c)] = std::sqrt(sum);
  }
  return Mixture(NoiseModel::Diagonal, m.log_pi.detach(), mean.detach(),
                 from_vector(sigma, {b, k, 1}, m.scale.dtype()));
}

} // namespace tapegrad::mdn

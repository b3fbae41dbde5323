#include "nn/clip_grad.hpp"

#include <autograd/tape.hpp>

#include <cmath>

namespace tapegrad::nn {

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm, double norm_type) {
  if (!(max_norm >= 0.0))
    fail("clip_grad_norm: expected max_norm >= 0, got {}", max_norm);
  if (!(norm_type > 0.0))
    fail("clip_grad_norm: expected a positive norm_type, got {}", norm_type);
  NoGradGuard no_grad;
  const bool infinity_norm = std::isinf(norm_type);
  double accumulated = 0.0; // sum of |g|^p, or max |g| for the infinity norm; in double
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    const Tensor grad = parameters[k].grad();
    if (!grad.defined())
      continue;
    double local = 0.0;
    dispatch_floating(grad.dtype(), "clip_grad_norm", [&]<class T>() {
      const T* g = grad.data_ptr<T>();
      for (std::int64_t i = 0; i < grad.numel(); ++i) {
        const double magnitude = std::abs(static_cast<double>(g[i]));
        if (infinity_norm)
          local = std::max(local, magnitude);
        else
          local += norm_type == 2.0 ? magnitude * magnitude : std::pow(magnitude, norm_type);
      }
    });
    if (!std::isfinite(local))
      fail("clip_grad_norm: the gradient of parameter {} ('{}', shape {}) holds NaN or Inf", k,
           parameters[k].name(), parameters[k].shape());
    accumulated = infinity_norm ? std::max(accumulated, local) : accumulated + local;
  }
  const double total = infinity_norm ? accumulated : std::pow(accumulated, 1.0 / norm_type);
  const double coefficient = max_norm / (total + 1e-6);
  if (coefficient >= 1.0)
    return total;
  for (const Tensor& p : parameters) {
    const Tensor grad = p.grad();
    if (!grad.defined())
      continue;
    dispatch_floating(grad.dtype(), "clip_grad_norm", [&]<class T>() {
      T* g = grad.data_ptr<T>();
      const auto c = static_cast<T>(coefficient);
      for (std::int64_t i = 0; i < grad.numel(); ++i)
        g[i] *= c;
    });
  }
  return total;
}

} // namespace tapegrad::nn

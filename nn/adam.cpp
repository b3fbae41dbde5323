#include "nn/optim.hpp"

#include "autograd/kernels/optim.hpp"
#include "autograd/tape.hpp"

#include <cmath>

namespace tapegrad::nn {

Adam::Adam(std::vector<Tensor> parameters, AdamOptions options)
    : Adam("Adam", std::move(parameters), options, false) {}

AdamW::AdamW(std::vector<Tensor> parameters, AdamOptions options)
    : Adam("AdamW", std::move(parameters), options, true) {}

Adam::Adam(std::string name, std::vector<Tensor> parameters, AdamOptions options, bool decoupled)
    : Optimizer(std::move(name), std::move(parameters), options.lr), options_(options),
      decoupled_(decoupled) {
  if (!(options.beta1 >= 0.0 && options.beta1 < 1.0) ||
      !(options.beta2 >= 0.0 && options.beta2 < 1.0))
    fail("{}: expected betas in [0, 1), got {} and {}", this->name(), options.beta1, options.beta2);
  if (!(options.eps >= 0.0))
    fail("{}: expected eps >= 0, got {}", this->name(), options.eps);
  if (!(options.weight_decay >= 0.0))
    fail("{}: expected weight_decay >= 0, got {}", this->name(), options.weight_decay);
  exp_avg_ = &add_buffers("exp_avg");
  exp_avg_sq_ = &add_buffers("exp_avg_sq");
}

void Adam::step() {
  NoGradGuard no_grad;
  ++step_count_;
  const double t = static_cast<double>(step_count_);
  // The bias corrections undo the zero start of m and v; computed once per step, in double.
  const double step_size = lr() / (1.0 - std::pow(options_.beta1, t));
  const double sqrt_correction2 = std::sqrt(1.0 - std::pow(options_.beta2, t));
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    const Tensor& p = parameters_[k];
    const Tensor grad = p.grad();
    if (!grad.defined())
      continue;
    dispatch_floating(p.dtype(), name(), [&]<class T>() {
      const T b1 = static_cast<T>(options_.beta1), b2 = static_cast<T>(options_.beta2),
              eps = static_cast<T>(options_.eps), alpha = static_cast<T>(step_size),
              root2 = static_cast<T>(sqrt_correction2);
      // AdamW shrinks the weights; Adam adds the decay to the gradient (L2 regularisation).
      const T shrink = static_cast<T>(1.0 - lr() * options_.weight_decay);
      const T l2 = decoupled_ ? T(0) : static_cast<T>(options_.weight_decay);
      const kernels::AdamCoefficients<T> c{
          decoupled_ ? shrink : T(1), l2, b1, b2, eps, alpha, root2};
      kernels::adam_update(p.data_ptr<T>(), grad.data_ptr<T>(), (*exp_avg_)[k].data_ptr<T>(),
                           (*exp_avg_sq_)[k].data_ptr<T>(), p.numel(), c);
    });
  }
}

} // namespace tapegrad::nn

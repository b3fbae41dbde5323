#include "nn/optim.hpp"

#include <autograd/tape.hpp>

namespace tapegrad::nn {

SGD::SGD(std::vector<Tensor> parameters, SGDOptions options)
    : Optimizer("SGD", std::move(parameters), options.lr), options_(options) {
  if (!(options.momentum >= 0.0))
    fail("SGD: expected momentum >= 0, got {}", options.momentum);
  if (!(options.weight_decay >= 0.0))
    fail("SGD: expected weight_decay >= 0, got {}", options.weight_decay);
  if (options.nesterov && options.momentum == 0.0)
    fail("SGD: nesterov needs a positive momentum, got {}", options.momentum);
  if (options.momentum != 0.0)
    momentum_ = &add_buffers("momentum_buffer");
}

void SGD::step() {
  NoGradGuard no_grad;
  ++step_count_;
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    const Tensor& p = parameters_[k];
    const Tensor grad = p.grad();
    if (!grad.defined())
      continue;
    dispatch_floating(p.dtype(), "SGD", [&]<class T>() {
      const T lr = static_cast<T>(this->lr()), momentum = static_cast<T>(options_.momentum),
              decay = static_cast<T>(options_.weight_decay);
      T* value = p.data_ptr<T>();
      const T* g = grad.data_ptr<T>();
      T* buffer = momentum_ ? (*momentum_)[k].data_ptr<T>() : nullptr;
      const std::int64_t n = p.numel();
      for (std::int64_t i = 0; i < n; ++i) {
        T d = g[i] + decay * value[i];
        if (buffer) {
          buffer[i] = momentum * buffer[i] + d;
          d = options_.nesterov ? d + momentum * buffer[i] : buffer[i];
        }
        value[i] -= lr * d;
      }
    });
  }
}

} // namespace tapegrad::nn

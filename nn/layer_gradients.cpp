#include "nn/layer_gradients.hpp"

#include "nn/cell_products.hpp"

#include <autograd/ops.hpp>
#include <autograd/tape.hpp>

#include <algorithm>

namespace tapegrad::nn::detail {

LayerGradients::LayerGradients(Tensor weight_ih, Tensor weight_hh, Tensor bias_ih, Tensor bias_hh,
                               std::int64_t steps, std::int64_t batch, bool shared)
    : weight_ih_(std::move(weight_ih)), weight_hh_(std::move(weight_hh)),
      bias_ih_(std::move(bias_ih)), bias_hh_(std::move(bias_hh)), batch_(batch), shared_(shared) {
  const DType dtype = weight_hh_.dtype();
  const std::int64_t rows = steps * batch, gates = weight_hh_.size(0);
  inputs_ = empty({rows, weight_ih_.size(1)}, dtype);
  states_ = empty({rows, weight_hh_.size(1)}, dtype);
  input_grads_ = empty({rows, gates}, dtype);
  if (!shared)
    state_grads_ = empty({rows, gates}, dtype);
  written_.assign(static_cast<std::size_t>(steps), false);
}

void LayerGradients::keep_inputs(std::int64_t step, const Tensor& x, const Tensor& h) {
  dispatch_floating(x.dtype(), "LayerGradients", [&]<class T>() {
    std::copy_n(x.data_ptr<T>(), x.numel(), inputs_.data_ptr<T>() + step * x.numel());
    std::copy_n(h.data_ptr<T>(), h.numel(), states_.data_ptr<T>() + step * h.numel());
  });
}

template <class T> T* LayerGradients::product_gradient(std::int64_t step, bool hidden_product) {
  const Tensor& target = hidden_product && !shared_ ? state_grads_ : input_grads_;
  written_[static_cast<std::size_t>(step)] = true;
  return target.data_ptr<T>() + step * batch_ * target.size(1);
}
template float* LayerGradients::product_gradient<float>(std::int64_t, bool);
template double* LayerGradients::product_gradient<double>(std::int64_t, bool);

void LayerGradients::add_to_weights() {
  for (std::size_t step = 0; step < written_.size(); ++step) // no backward ran: zeros
    for (Tensor* t : {&input_grads_, &state_grads_})
      if (!written_[step] && t->defined())
        dispatch_floating(t->dtype(), "LayerGradients", [&]<class T>() {
          const std::int64_t size = batch_ * t->size(1);
          std::fill_n(t->data_ptr<T>() + static_cast<std::int64_t>(step) * size, size, T(0));
        });
  accumulate_weight_gradients(input_grads_, inputs_, weight_ih_, bias_ih_);
  accumulate_weight_gradients(shared_ ? input_grads_ : state_grads_, states_, weight_hh_, bias_hh_);
  written_.assign(written_.size(), false); // should the tape be walked once more
}

} // namespace tapegrad::nn::detail

#pragma once
// The fused cells as a layer's loop through time calls them (nn/recurrent.cpp): besides the
// operands of nn::gru_cell and nn::lstm_cell, each step gets the weights transposed once for the
// whole sequence, and the layer's accumulator of weight gradients (nn/layer_gradients.hpp) with
// its own step number, so that the weight gradients of all steps are summed in one product each.
// With a default context a step is exactly the public op.
#include "nn/layer_gradients.hpp"

#include <autograd/tensor.hpp>

#include <memory>

namespace tapegrad::nn::detail {

struct StepContext {
  Tensor weight_ih_t, weight_hh_t;           // W_ih^T [in, G] and W_hh^T [H, G], or undefined
  std::shared_ptr<LayerGradients> gradients; // null: the step adds its own weight gradients
  std::int64_t step = 0;                     // this step's place in `gradients`
};

Tensor gru_step(const Tensor& x, const Tensor& h, const Tensor& weight_ih, const Tensor& weight_hh,
                const Tensor& bias_ih, const Tensor& bias_hh, const Tensor& mask,
                const StepContext& context);
Tensor lstm_step(const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                 const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                 const Tensor& mask, const StepContext& context);

// Whether an op on these operands is recorded (as tapegrad::record decides).
bool records(std::initializer_list<Tensor> operands);

} // namespace tapegrad::nn::detail

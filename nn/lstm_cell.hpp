#pragma once
// One LSTM step, torch.nn.LSTMCell's equations, as a differentiable op. In the gate order i, f, g,
// o:
//
//   i  = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
//   f  = sigmoid(W_if x + b_if + W_hf h + b_hf)
//   g  = tanh(W_ig x + b_ig + W_hg h + b_hg)
//   o  = sigmoid(W_io x + b_io + W_ho h + b_ho)
//   c' = f * c + i * g
//   h' = o * tanh(c')
//
// with weight_ih [4H, in], weight_hh [4H, H] and the biases [4H] stacked in that order. The state
// travels as one tensor [batch, 2H] = [h | c], so that a step is one op with one output; slice it
// for h or c. A mask ([batch] of 0 and 1, x's dtype) marks padding: where it is 0 the state passes
// through unchanged.
//
// lstm_cell is the fused op: the products, the gates and the cell update in one tape record whose
// backward is written out (nn/kernels/lstm_gates.hpp). lstm_cell_composed is the same step from
// the engine's ops: the reference the fused op is tested against, in value and gradient.
#include <autograd/tensor.hpp>

namespace tapegrad::nn {

// x [batch, in], state [batch, 2H] = [h | c] -> [h' | c'] [batch, 2H].
Tensor lstm_cell(const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                 const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                 const Tensor& mask = Tensor());
Tensor lstm_cell_composed(const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                          const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                          const Tensor& mask = Tensor());

} // namespace tapegrad::nn

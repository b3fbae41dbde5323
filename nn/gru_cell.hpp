#pragma once
// One GRU step, torch.nn.GRUCell's equations, as a differentiable op. In the gate order r, z, n:
//
//   r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
//   z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
//   n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
//   h' = (1 - z) * n + z * h
//
// with weight_ih = [W_ir; W_iz; W_in] ([3H, in]), weight_hh = [W_hr; W_hz; W_hn] ([3H, H]) and the
// biases bias_ih, bias_hh ([3H]). A mask ([batch] of 0 and 1, x's dtype) marks padding: where it
// is 0 the state passes through, h' = h, and nothing flows into the weights from that row.
//
// gru_cell is the fused op: the two products, the gates and the blend in one tape record whose
// backward is written out (nn/kernels/gru_gates.hpp). gru_cell_composed is the same step from
// the engine's ops, a dozen records: the reference the fused op is tested against, in value and
// gradient.
#include <autograd/tensor.hpp>

namespace tapegrad::nn {

// x [batch, in], h [batch, H] -> h' [batch, H].
Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& weight_ih, const Tensor& weight_hh,
                const Tensor& bias_ih, const Tensor& bias_hh, const Tensor& mask = Tensor());
Tensor gru_cell_composed(const Tensor& x, const Tensor& h, const Tensor& weight_ih,
                         const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                         const Tensor& mask = Tensor());

} // namespace tapegrad::nn

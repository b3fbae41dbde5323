#pragma once
// The affine products inside a fused recurrent cell (nn::gru_cell, nn::lstm_cell), computed off
// the tape: the cell's one record differentiates them itself, with these helpers.
//
//   y = x W^T + b;   dL/dx = dL/dy W,   dL/dW = (dL/dy)^T x,   dL/db = sum over rows of dL/dy
//
// They use the engine's GEMM (bitwise the same on any number of threads), without transposed
// copies, and add the weight's and bias's gradients into their slots with accumulate_grad.
#include <autograd/tensor.hpp>

namespace tapegrad::nn::detail {

// x [n, in], weight [G, in], bias [G] -> x W^T + b [n, G]. No record.
Tensor affine(const Tensor& x, const Tensor& weight, const Tensor& bias);
// out [n, G] += x W^T + b, in place. No record.
void add_affine(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias);

// Given g = dL/dy [n, G] of y = x W^T + b: adds dL/dW and dL/db to the weight's and bias's
// gradients (when they require grad), and returns dL/dx = g W, or, when `dx` is defined, adds g W
// into it and returns it; undefined when x does not require grad and no `dx` is given.
Tensor affine_backward(const Tensor& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                       Tensor dx = Tensor());

// Checks that a cell's operands agree: x [n, in], weight_ih [G, in], weight_hh [G, H], bias_ih and
// bias_hh [G], state [n, state_parts * H], one floating dtype, mask undefined or [n] of 0 and 1 in
// that dtype. `gates` is G / H (3 for a GRU, 4 for an LSTM); state_parts is 1 for a GRU ([h]) and
// 2 for an LSTM ([h | c]). Throws naming `op` and the shapes.
void check_cell_operands(const char* op, std::int64_t gates, std::int64_t state_parts,
                         const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                         const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                         const Tensor& mask);

} // namespace tapegrad::nn::detail

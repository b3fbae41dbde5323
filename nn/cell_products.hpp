#pragma once
// The affine products inside a fused recurrent cell (nn::gru_cell, nn::lstm_cell), computed off
// the tape: the cell's one record differentiates them itself, with these helpers.
//
//   y = x W^T + b;   dL/dx = dL/dy W,   dL/dW = (dL/dy)^T x,   dL/db = sum over rows of dL/dy
//
// They use the engine's GEMM (bitwise the same on any number of threads) without transposed
// copies, except W^T for the forward product, which a loop through time makes once per sequence
// (the GEMM would otherwise repack W at every step).
#include <autograd/tensor.hpp>

namespace tapegrad::nn::detail {

// W^T as a contiguous tensor, off the tape.
Tensor transposed(const Tensor& weight);

// out [n, G] = x W^T + b, or out += x W^T + b when `accumulate`. weight_t: W^T [in, G], or
// undefined to read W [G, in] itself. No record.
void affine_into(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& weight_t,
                 const Tensor& bias, bool accumulate);

// dx [n, in] = g W, or dx += g W when `accumulate`, for g = dL/dy [n, G]; ldx is dx's row stride.
template <class T>
void input_gradient(const T* g, const Tensor& weight, std::int64_t n, T* dx, std::int64_t ldx,
                    bool accumulate);

// dL/dW += g^T x and dL/db += the column sums of g, into the weight's and bias's gradients
// (each only when it requires grad). g [n, G], x [n, in].
void accumulate_weight_gradients(const Tensor& g, const Tensor& x, const Tensor& weight,
                                 const Tensor& bias);

// Checks that a cell's operands agree: x [n, in], weight_ih [G, in], weight_hh [G, H], bias_ih and
// bias_hh [G], state [n, state_parts * H], one floating dtype, mask undefined or [n] of 0 and 1 in
// that dtype. `gates` is G / H (3 for a GRU, 4 for an LSTM); state_parts is 1 for a GRU ([h]) and
// 2 for an LSTM ([h | c]). Throws naming `op` and the shapes.
void check_cell_operands(const char* op, std::int64_t gates, std::int64_t state_parts,
                         const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                         const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                         const Tensor& mask);

} // namespace tapegrad::nn::detail

#pragma once
// Gradient clipping, as torch.nn.utils.clip_grad_norm_: if the norm of all gradients together
// (as one long vector) exceeds max_norm, every gradient is scaled by max_norm / (norm + 1e-6).
// Call it between backward() and the optimiser's step().
#include <autograd/tensor.hpp>

#include <vector>

namespace tapegrad::nn {

// Returns the total norm before clipping. norm_type is p of the p-norm (2 by default), or
// infinity for the largest magnitude. Parameters without a gradient are skipped. A non-finite
// total norm throws, naming the first parameter with a non-finite gradient, rather than spreading
// NaN into every weight.
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm,
                      double norm_type = 2.0);

} // namespace tapegrad::nn

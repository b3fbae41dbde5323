#pragma once
// gradcheck: proves an op's backward by comparing the Jacobian it gives with central finite
// differences, in float64, entry by entry, as torch.autograd.gradcheck does. Call it on your own
// op:
//
//   auto x = tapegrad::randn({3, 4}, gen, tapegrad::kFloat64).requires_grad_();
//   auto result = tapegrad::gradcheck([](const auto& in) { return my_op(in[0]); }, {x});
//   if (!result) std::puts(result.message.c_str());
#include "autograd/tensor.hpp"

#include <functional>
#include <string>
#include <vector>

namespace tapegrad {

struct GradcheckOptions {
  double eps = 1e-6;  // finite-difference step
  double atol = 1e-5; // an entry passes when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool passed = true;
  // The worst entry (the largest |analytic - numeric| / (atol + rtol * |numeric|)), even on a pass.
  std::size_t input = 0;          // which input
  std::int64_t input_element = 0; // flat index into that input
  std::int64_t output_element = 0;
  double analytic = 0, numeric = 0;
  double worst_ratio = 0; // above 1 fails
  std::string message;    // one line describing the worst entry
  explicit operator bool() const { return passed; }
};

using GradcheckFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks d f(inputs) / d input for every float64 input with requires_grad set; other inputs (such
// as int64 indices) are passed through unchanged. The inputs themselves are not modified. Uses
// and clears the calling thread's tape.
GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

} // namespace tapegrad

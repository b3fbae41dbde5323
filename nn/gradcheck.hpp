#pragma once
// gradcheck for layers: proves a module's backward with respect to its input and every one of its
// parameters at once. The module must be float64 (build it so, or call module.to(kFloat64)).
//
//   nn::Linear layer(3, 2, true, gen, kFloat64);
//   auto x = randn({4, 3}, gen, kFloat64).requires_grad_();
//   auto result = nn::gradcheck_module(layer, x);
//   REQUIRE(result); // result.message names the worst entry, and the parameter it belongs to
#include "nn/module.hpp"

#include <autograd/gradcheck.hpp>

#include <functional>

namespace tapegrad::nn {

// forward(module, inputs) computes the output to check; by default module.forward(inputs[0]).
using ModuleForward = std::function<Tensor(Module&, const std::vector<Tensor>&)>;

GradcheckResult gradcheck_module(Module& module, const std::vector<Tensor>& inputs,
                                 const ModuleForward& forward = {},
                                 const GradcheckOptions& options = {});
inline GradcheckResult gradcheck_module(Module& module, const Tensor& input,
                                        const GradcheckOptions& options = {}) {
  return gradcheck_module(module, std::vector<Tensor>{input}, {}, options);
}

} // namespace tapegrad::nn

#include "nn/gradcheck.hpp"

namespace tapegrad::nn {

GradcheckResult gradcheck_module(Module& module, const std::vector<Tensor>& inputs,
                                 const ModuleForward& forward, const GradcheckOptions& options) {
  const auto named = module.named_parameters();
  // gradcheck perturbs private copies of its inputs, so the parameters go in as inputs too, and
  // each evaluation puts the copies it is given into the module's members for the duration.
  std::vector<Tensor> all = inputs;
  for (const auto& [name, parameter] : named)
    all.push_back(parameter);
  const std::size_t n_inputs = inputs.size();
  GradcheckResult result = gradcheck(
      [&](const std::vector<Tensor>& in) {
        const std::vector<Tensor> data(in.begin(),
                                       in.begin() + static_cast<std::ptrdiff_t>(n_inputs));
        const std::vector<Tensor> parameters(in.begin() + static_cast<std::ptrdiff_t>(n_inputs),
                                             in.end());
        ParameterSubstitution substitution(module, parameters);
        return forward ? forward(module, data) : module.forward(data.at(0));
      },
      all, options);
  if (result.input >= n_inputs)
    result.message += fmt::format(" (input {} is the parameter '{}')", result.input,
                                  named[result.input - n_inputs].first);
  return result;
}

} // namespace tapegrad::nn

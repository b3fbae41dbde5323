#include "nn/linear.hpp"

#include "nn/init.hpp"

#include "autograd/ops.hpp"

#include <cmath>

namespace tapegrad::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool bias_on, Generator& gen,
               DType dtype, LinearInit init)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  if (in_features <= 0 || out_features <= 0)
    fail("Linear: expected positive in_features and out_features, got {} and {}", in_features,
         out_features);
  weight = empty({out_features, in_features}, dtype);
  if (init == LinearInit::KaimingUniform)
    init::kaiming_uniform_(weight, gen, std::sqrt(5.0));
  else
    init::xavier_uniform_(weight, gen);
  register_parameter("weight", weight);
  if (bias_on) {
    bias = empty({out_features}, dtype);
    if (init == LinearInit::KaimingUniform) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
      init::uniform_(bias, -bound, bound, gen);
    } else {
      init::zeros_(bias);
    }
    register_parameter("bias", bias);
  }
}

Tensor Linear::forward(const Tensor& input) {
  if (input.dim() < 1 || input.size(input.dim() - 1) != in_features_)
    fail("Linear: expected an input of shape [..., {}], got {}", in_features_, input.shape());
  if (input.dim() == 2)
    return linear(input, weight, bias);
  // Other ranks go through 2-D: [..., in] -> [rows, in] -> [rows, out] -> [..., out].
  std::vector<std::int64_t> out_shape = input.shape().vec();
  out_shape.back() = out_features_;
  return reshape(linear(reshape(input, {-1, in_features_}), weight, bias), out_shape);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features_, out_features_,
                     bias.defined());
}

} // namespace tapegrad::nn

#include "nn/init.hpp"

#include <cmath>

namespace tapegrad::nn::init {

namespace {
// Writes draw() into every element, in row-major order, converted to the tensor's type.
template <class Draw> Tensor fill(const Tensor& tensor, const char* op, Draw&& draw) {
  if (!tensor.defined())
    fail("init::{}: the tensor is undefined", op);
  dispatch_floating(tensor.dtype(), op, [&]<class T>() {
    T* data = tensor.data_ptr<T>();
    for (std::int64_t i = 0; i < tensor.numel(); ++i)
      data[i] = static_cast<T>(draw());
  });
  return tensor;
}

std::int64_t fan(const Tensor& tensor, FanMode mode) {
  const Fans fans = calculate_fans(tensor);
  return mode == FanMode::FanIn ? fans.in : fans.out;
}
} // namespace

Fans calculate_fans(const Tensor& tensor) {
  if (tensor.dim() < 2)
    fail("init: fan in and fan out need a tensor with at least 2 axes, got shape {}",
         tensor.shape());
  std::int64_t receptive = 1;
  for (int axis = 2; axis < tensor.dim(); ++axis)
    receptive *= tensor.size(axis);
  return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

double calculate_gain(std::string_view nonlinearity, double param) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity == "identity")
    return 1.0;
  if (nonlinearity == "tanh")
    return 5.0 / 3.0;
  if (nonlinearity == "relu")
    return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu")
    return std::sqrt(2.0 / (1.0 + param * param));
  if (nonlinearity == "selu")
    return 0.75;
  fail("init::calculate_gain: unknown nonlinearity '{}' (expected linear, sigmoid, tanh, relu, "
       "leaky_relu or selu)",
       nonlinearity);
}

Tensor uniform_(Tensor tensor, double low, double high, Generator& gen) {
  if (!(low <= high))
    fail("init::uniform_: expected low <= high, got {} and {}", low, high);
  return fill(tensor, "uniform_", [&] { return low + (high - low) * gen.uniform(); });
}

Tensor normal_(Tensor tensor, double mean, double std, Generator& gen) {
  if (!(std >= 0))
    fail("init::normal_: expected a non-negative std, got {}", std);
  return fill(tensor, "normal_", [&] { return mean + std * gen.normal(); });
}

Tensor constant_(Tensor tensor, double value) {
  return fill(tensor, "constant_", [value] { return value; });
}
Tensor zeros_(Tensor tensor) {
  return constant_(tensor, 0.0);
}
Tensor ones_(Tensor tensor) {
  return constant_(tensor, 1.0);
}

Tensor xavier_uniform_(Tensor tensor, Generator& gen, double gain) {
  const Fans fans = calculate_fans(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fans.in + fans.out));
  const double bound = std::sqrt(3.0) * std; // U(-b, b) has standard deviation b / sqrt(3)
  return uniform_(tensor, -bound, bound, gen);
}

Tensor xavier_normal_(Tensor tensor, Generator& gen, double gain) {
  const Fans fans = calculate_fans(tensor);
  return normal_(tensor, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fans.in + fans.out)), gen);
}

Tensor kaiming_uniform_(Tensor tensor, Generator& gen, double a, FanMode mode,
                        std::string_view nonlinearity) {
  const double std =
      calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(tensor, mode)));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(tensor, -bound, bound, gen);
}

Tensor kaiming_normal_(Tensor tensor, Generator& gen, double a, FanMode mode,
                       std::string_view nonlinearity) {
  const double std =
      calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(tensor, mode)));
  return normal_(tensor, 0.0, std, gen);
}

} // namespace tapegrad::nn::init

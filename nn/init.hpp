#pragma once
// Initialisers, as torch::nn::init: free functions that overwrite any floating tensor in place
// (a parameter, typically; the tensor is a handle, so the caller's sees the change) and return it.
// They write the buffer directly, outside the tape, and draw every random number from the generator
// passed in, in row-major order: same seed, same bits.
//
// Fans follow PyTorch: a weight of shape [out, in, k...] has fan_in = in * (product of the k)
// and fan_out = out * (product of the k).
#include <autograd/generator.hpp>
#include <autograd/tensor.hpp>

#include <string_view>

namespace tapegrad::nn::init {

enum class FanMode { FanIn, FanOut };

struct Fans {
  std::int64_t in, out;
};
// Throws for tensors with fewer than two axes, whose fans are undefined.
Fans calculate_fans(const Tensor& tensor);

// The gain PyTorch recommends for a nonlinearity: "linear", "sigmoid", "tanh" (5/3), "relu"
// (sqrt 2), "leaky_relu" (sqrt(2 / (1 + param^2))), "selu" (3/4).
double calculate_gain(std::string_view nonlinearity, double param = 0.01);

Tensor uniform_(Tensor tensor, double low, double high, Generator& gen); // U[low, high)
Tensor normal_(Tensor tensor, double mean, double std, Generator& gen);
Tensor constant_(Tensor tensor, double value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);

// Glorot & Bengio (2010): variance 2 gain^2 / (fan_in + fan_out).
Tensor xavier_uniform_(Tensor tensor, Generator& gen, double gain = 1.0);
Tensor xavier_normal_(Tensor tensor, Generator& gen, double gain = 1.0);

// He et al. (2015): variance gain^2 / fan, with gain = calculate_gain(nonlinearity, a).
// Linear's default is kaiming_uniform_(weight, gen, sqrt(5)), i.e. U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)).
Tensor kaiming_uniform_(Tensor tensor, Generator& gen, double a = 0.0,
                        FanMode mode = FanMode::FanIn,
                        std::string_view nonlinearity = "leaky_relu");
Tensor kaiming_normal_(Tensor tensor, Generator& gen, double a = 0.0, FanMode mode = FanMode::FanIn,
                       std::string_view nonlinearity = "leaky_relu");

} // namespace tapegrad::nn::init

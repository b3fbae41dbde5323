#pragma once
// Activations as modules, so that Sequential and MLP can hold them. Each is one engine op; the
// modules own no parameters.
#include "nn/module.hpp"

#include <memory>
#include <string_view>

namespace tapegrad::nn {

class ReLU : public Module {
public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& input) override { return relu(input); }
};

class Tanh : public Module {
public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& input) override { return tanh(input); }
};

class Sigmoid : public Module {
public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& input) override { return sigmoid(input); }
};

// x * sigmoid(x), also called swish.
class SiLU : public Module {
public:
  SiLU() : Module("SiLU") {}
  Tensor forward(const Tensor& input) override { return silu(input); }
};

// log(1 + e^(beta x)) / beta, as torch::nn::Softplus; beta = 1 is the engine's softplus. (The
// engine's softplus never overflows, so LibTorch's linear `threshold` is not needed.)
class Softplus : public Module {
public:
  explicit Softplus(double beta = 1.0);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

private:
  double beta_;
};

// x above 0, alpha (e^x - 1) below.
class ELU : public Module {
public:
  explicit ELU(double alpha = 1.0) : Module("ELU"), alpha_(alpha) {}
  Tensor forward(const Tensor& input) override { return elu(input, alpha_); }
  std::string extra_repr() const override;

private:
  double alpha_;
};

// For builders such as MLP: which activation, with its default parameters.
enum class Activation { ReLU, Tanh, Sigmoid, Softplus, SiLU, ELU };
std::shared_ptr<Module> make_activation(Activation activation);

// Activations by name, as configuration files and command lines spell them: "relu", "tanh",
// "sigmoid", "softplus", "silu", "elu" (the lower-case names of torch.nn.functional).
std::string_view activation_name(Activation activation);
// The activation of that name; an Error listing the names otherwise.
Activation parse_activation(std::string_view name);

} // namespace tapegrad::nn

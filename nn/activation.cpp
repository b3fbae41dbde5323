#include "nn/activation.hpp"

namespace tapegrad::nn {

Softplus::Softplus(double beta) : Module("Softplus"), beta_(beta) {
  if (!(beta > 0))
    fail("Softplus: expected a positive beta, got {}", beta);
}

Tensor Softplus::forward(const Tensor& input) {
  // Two fewer ops on the tape in the common case.
  return beta_ == 1.0 ? softplus(input) : softplus(input * beta_) / beta_;
}

std::string Softplus::extra_repr() const {
  return fmt::format("beta={}", beta_);
}

std::string ELU::extra_repr() const {
  return fmt::format("alpha={}", alpha_);
}

namespace {
constexpr std::pair<Activation, std::string_view> kActivationNames[] = {
    {Activation::ReLU, "relu"},       {Activation::Tanh, "tanh"},
    {Activation::Sigmoid, "sigmoid"}, {Activation::Softplus, "softplus"},
    {Activation::SiLU, "silu"},       {Activation::ELU, "elu"}};
} // namespace

std::string_view activation_name(Activation activation) {
  for (const auto& [value, name] : kActivationNames)
    if (value == activation)
      return name;
  fail("activation_name: unknown activation {}", static_cast<int>(activation));
}

Activation parse_activation(std::string_view name) {
  for (const auto& [value, known] : kActivationNames)
    if (known == name)
      return value;
  fail("activation '{}': expected relu, tanh, sigmoid, softplus, silu or elu", name);
}

std::shared_ptr<Module> make_activation(Activation activation) {
  switch (activation) {
  case Activation::ReLU:
    return std::make_shared<ReLU>();
  case Activation::Tanh:
    return std::make_shared<Tanh>();
  case Activation::Sigmoid:
    return std::make_shared<Sigmoid>();
  case Activation::Softplus:
    return std::make_shared<Softplus>();
  case Activation::SiLU:
    return std::make_shared<SiLU>();
  case Activation::ELU:
    return std::make_shared<ELU>();
  }
  fail("make_activation: unknown activation {}", static_cast<int>(activation));
}

} // namespace tapegrad::nn

#pragma once
// Sequential: modules applied one after another, named 0, 1, 2, ... as torch::nn::Sequential.
// MLP: a Sequential of Linear layers with an activation between them (none after the last).
#include "nn/activation.hpp"
#include "nn/module.hpp"

#include <autograd/generator.hpp>

#include <initializer_list>
#include <memory>
#include <vector>

namespace tapegrad::nn {

class Sequential : public Module {
public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  // Appends a module, named by its position.
  template <class M> std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    append(module);
    return module;
  }

  Tensor forward(const Tensor& input) override;

  std::size_t size() const { return layers_.size(); }
  Module& operator[](std::size_t index) const;

protected:
  explicit Sequential(std::string type_name) : Module(std::move(type_name)) {}

private:
  void append(std::shared_ptr<Module> module);
  std::vector<std::shared_ptr<Module>> layers_;
};

// MLP(1, {32, 32}, 1, Activation::Tanh, gen) is
//   Linear(1, 32), Tanh, Linear(32, 32), Tanh, Linear(32, 1)
// with parameters 0.weight, 0.bias, 2.weight, 2.bias, 4.weight, 4.bias.
class MLP : public Sequential {
public:
  MLP(std::int64_t in_features, const std::vector<std::int64_t>& hidden, std::int64_t out_features,
      Activation activation, Generator& gen, DType dtype = kFloat32);
};

} // namespace tapegrad::nn

#include "nn/sequential.hpp"

#include "nn/linear.hpp"

namespace tapegrad::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules)
    : Module("Sequential") {
  for (const auto& module : modules)
    append(module);
}

void Sequential::append(std::shared_ptr<Module> module) {
  register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
}

Module& Sequential::operator[](std::size_t index) const {
  if (index >= layers_.size())
    fail("{}: index {} is out of range for {} modules", type_name(), index, layers_.size());
  return *layers_[index];
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& layer : layers_)
    x = layer->forward(x);
  return x;
}

MLP::MLP(std::int64_t in_features, const std::vector<std::int64_t>& hidden,
         std::int64_t out_features, Activation activation, Generator& gen, DType dtype)
    : Sequential("MLP") {
  std::int64_t width = in_features;
  for (std::int64_t next : hidden) {
    push_back(std::make_shared<Linear>(width, next, true, gen, dtype));
    push_back(make_activation(activation));
    width = next;
  }
  push_back(std::make_shared<Linear>(width, out_features, true, gen, dtype));
}

} // namespace tapegrad::nn

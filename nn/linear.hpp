#pragma once
// Linear: y = x W^T + b, as torch::nn::Linear. The weight is [out_features, in_features], the
// bias [out_features]; x is [..., in_features] (1-D, 2-D or 3-D).
//
// Initialised as LibTorch does: W ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with a = sqrt 5)
// and b ~ U(-1/sqrt(in), 1/sqrt(in)). For Xavier, re-initialise the weight with
// init::xavier_uniform_(layer.weight, gen), or pass LinearInit::XavierUniform.
#include "nn/module.hpp"

#include <autograd/generator.hpp>

namespace tapegrad::nn {

enum class LinearInit {
  KaimingUniform, // LibTorch's default; bias uniform too
  XavierUniform   // Glorot uniform weight, zero bias
};

class Linear : public Module {
public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias, Generator& gen,
         DType dtype = kFloat32, LinearInit init = LinearInit::KaimingUniform);
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen,
         DType dtype = kFloat32)
      : Linear(in_features, out_features, true, gen, dtype) {}

  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  std::int64_t in_features() const { return in_features_; }
  std::int64_t out_features() const { return out_features_; }
  bool has_bias() const { return bias.defined(); }

  Tensor weight; // [out_features, in_features]
  Tensor bias;   // [out_features], undefined without a bias

private:
  std::int64_t in_features_, out_features_;
};

} // namespace tapegrad::nn

#pragma once
// MDN: an nn trunk (Linear + activation per hidden width) followed by a MixtureDensityHead.
//
//   mdn::MDN model({.in_features = 1, .out_dim = 1, .components = 3, .hidden = {20}}, gen);
//   Tensor loss = model.mixture(x).nll(y);
#include "mdn/head.hpp"
#include "nn/activation.hpp"
#include "nn/sequential.hpp"

#include <vector>

namespace tapegrad::mdn {

struct MDNOptions {
  std::int64_t in_features = 1;
  std::int64_t out_dim = 1;
  std::int64_t components = 5;
  std::vector<std::int64_t> hidden{64, 64};
  nn::Activation activation = nn::Activation::Tanh;
  NoiseModel noise = NoiseModel::Diagonal;
  double fixed_scale = 1.0;
  double min_scale = 1e-3;
};

class MDN : public nn::Module {
public:
  MDN(const MDNOptions& options, Generator& gen, DType dtype = kFloat32);

  Mixture mixture(const Tensor& x) const; // x [B, in_features]
  // mixture(x).nll(y), through the head's fused loss (MixtureDensityHead::nll).
  Tensor nll(const Tensor& x, const Tensor& y) const;

  const MDNOptions& options() const { return options_; }
  nn::Sequential& trunk() const { return *trunk_; }
  MixtureDensityHead& head() const { return *head_; }

private:
  void check_inputs(const Tensor& x) const;
  MDNOptions options_;
  std::shared_ptr<nn::Sequential> trunk_;
  std::shared_ptr<MixtureDensityHead> head_;
};

} // namespace tapegrad::mdn

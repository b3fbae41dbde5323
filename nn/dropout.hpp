#pragma once
// Dropout, as torch::nn::Dropout: in training mode each element is zeroed with probability p and
// the survivors are scaled by 1 / (1 - p), so the expected output equals the input; in evaluation
// mode it is the identity.
//
// The masks are seeded: forward call k draws from Generator(derive_seed(seed, k)). The call count
// is a buffer (`draws`), saved and loaded with the model, so a resumed run draws the same masks.
#include "nn/module.hpp"

namespace tapegrad::nn {

class Dropout : public Module {
public:
  explicit Dropout(double p = 0.5, std::uint64_t seed = 0);

  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  double p() const { return p_; }

private:
  double p_;
  std::uint64_t seed_;
  Tensor draws_; // int64 scalar: forward calls made in training mode
};

} // namespace tapegrad::nn

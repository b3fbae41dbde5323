#include "nn/dropout.hpp"

#include "nn/seed.hpp"

namespace tapegrad::nn {

Dropout::Dropout(double p, std::uint64_t seed) : Module("Dropout"), p_(p), seed_(seed) {
  if (!(p >= 0.0 && p <= 1.0))
    fail("Dropout: expected a probability p in [0, 1], got {}", p);
  draws_ = zeros({}, kInt64);
  register_buffer("draws", draws_);
}

Tensor Dropout::forward(const Tensor& input) {
  if (!is_training() || p_ == 0.0)
    return input;
  std::int64_t& draws = *draws_.data_ptr<std::int64_t>();
  Generator gen(derive_seed(seed_, static_cast<std::uint64_t>(draws++)));
  // The mask is a constant: the product's backward scales the gradient by it.
  Tensor mask = empty(input.shape(), input.dtype());
  const double scale = p_ == 1.0 ? 0.0 : 1.0 / (1.0 - p_);
  dispatch_floating(input.dtype(), "Dropout", [&]<class T>() {
    T* m = mask.data_ptr<T>();
    for (std::int64_t i = 0; i < mask.numel(); ++i)
      m[i] = gen.uniform() < p_ ? T(0) : static_cast<T>(scale);
  });
  return input * mask;
}

std::string Dropout::extra_repr() const {
  return fmt::format("p={}, seed={}", p_, seed_);
}

} // namespace tapegrad::nn

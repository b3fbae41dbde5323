#include "mdn/model.hpp"

namespace tapegrad::mdn {

MDN::MDN(const MDNOptions& options, Generator& gen, DType dtype)
    : Module("MDN"), options_(options) {
  if (options.in_features <= 0)
    fail("MDN: in_features must be positive, got {}", options.in_features);
  trunk_ = register_module("trunk", std::make_shared<nn::Sequential>());
  std::int64_t width = options.in_features;
  for (std::int64_t h : options.hidden) {
    if (h <= 0)
      fail("MDN: hidden layer widths must be positive, got {}", h);
    trunk_->push_back(std::make_shared<nn::Linear>(width, h, gen, dtype));
    trunk_->push_back(nn::make_activation(options.activation));
    width = h;
  }
  head_ = register_module("head",
                          std::make_shared<MixtureDensityHead>(
                              HeadOptions{width, options.out_dim, options.components, options.noise,
                                          options.fixed_scale, options.min_scale},
                              gen, dtype));
}

void MDN::check_inputs(const Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != options_.in_features)
    fail("MDN: inputs have shape {}, expected [batch, {}]", x.shape(), options_.in_features);
}

Mixture MDN::mixture(const Tensor& x) const {
  check_inputs(x);
  return head_->mixture(trunk_->forward(x));
}

Tensor MDN::nll(const Tensor& x, const Tensor& y) const {
  check_inputs(x);
  return head_->nll(trunk_->forward(x), y);
}

} // namespace tapegrad::mdn

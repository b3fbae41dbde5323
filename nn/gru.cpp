#include "nn/gru.hpp"

#include "nn/cell_step.hpp"
#include "nn/gru_cell.hpp"
#include "nn/init.hpp"

#include <cmath>

namespace tapegrad::nn {

GRU::GRU(const RecurrentOptions& options, Generator& gen, DType dtype)
    : Recurrent("GRU", options, 3, 1, gen, dtype) {}

Tensor GRU::step(const Layer& layer, const Tensor& x, const Tensor& state, const Tensor& mask,
                 const detail::StepContext& context) const {
  return detail::gru_step(x, state, layer.weight_ih, layer.weight_hh, layer.bias_ih, layer.bias_hh,
                          mask, context);
}

GRUCell::GRUCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, DType dtype)
    : Module("GRUCell"), input_size_(input_size), hidden_size_(hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    fail("GRUCell: expected a positive input_size and hidden_size, got {} and {}", input_size,
         hidden_size);
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  const auto make = [&](Tensor& slot, const Shape& shape, const char* name) {
    slot = init::uniform_(empty(shape, dtype), -bound, bound, gen);
    register_parameter(name, slot);
  };
  make(weight_ih, {3 * hidden_size, input_size}, "weight_ih");
  make(weight_hh, {3 * hidden_size, hidden_size}, "weight_hh");
  make(bias_ih, {3 * hidden_size}, "bias_ih");
  make(bias_hh, {3 * hidden_size}, "bias_hh");
}

Tensor GRUCell::forward(const Tensor& x, const Tensor& h, const Tensor& mask) {
  const Tensor state =
      h.defined() ? h : zeros({x.dim() == 2 ? x.size(0) : 0, hidden_size_}, weight_ih.dtype());
  return gru_cell(x, state, weight_ih, weight_hh, bias_ih, bias_hh, mask);
}

std::string GRUCell::extra_repr() const {
  return fmt::format("input_size={}, hidden_size={}", input_size_, hidden_size_);
}

} // namespace tapegrad::nn

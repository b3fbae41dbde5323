#include "nn/lstm.hpp"

#include "nn/cell_step.hpp"
#include "nn/init.hpp"
#include "nn/lstm_cell.hpp"

#include <autograd/ops.hpp>

#include <cmath>

namespace tapegrad::nn {

LSTM::LSTM(const RecurrentOptions& options, Generator& gen, DType dtype)
    : Recurrent("LSTM", options, 4, 2, gen, dtype) {}

Tensor LSTM::step(const Layer& layer, const Tensor& x, const Tensor& state, const Tensor& mask,
                  const detail::StepContext& context) const {
  return detail::lstm_step(x, state, layer.weight_ih, layer.weight_hh, layer.bias_ih, layer.bias_hh,
                           mask, context);
}

LSTMCell::LSTMCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, DType dtype)
    : Module("LSTMCell"), input_size_(input_size), hidden_size_(hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    fail("LSTMCell: expected a positive input_size and hidden_size, got {} and {}", input_size,
         hidden_size);
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  const auto make = [&](Tensor& slot, const Shape& shape, const char* name) {
    slot = init::uniform_(empty(shape, dtype), -bound, bound, gen);
    register_parameter(name, slot);
  };
  make(weight_ih, {4 * hidden_size, input_size}, "weight_ih");
  make(weight_hh, {4 * hidden_size, hidden_size}, "weight_hh");
  make(bias_ih, {4 * hidden_size}, "bias_ih");
  make(bias_hh, {4 * hidden_size}, "bias_hh");
}

Tensor LSTMCell::forward(const Tensor& x, const Tensor& state, const Tensor& mask) {
  const Tensor s = state.defined()
                       ? state
                       : zeros({x.dim() == 2 ? x.size(0) : 0, 2 * hidden_size_}, weight_ih.dtype());
  return lstm_cell(x, s, weight_ih, weight_hh, bias_ih, bias_hh, mask);
}

std::string LSTMCell::extra_repr() const {
  return fmt::format("input_size={}, hidden_size={}", input_size_, hidden_size_);
}

Tensor lstm_state(const Tensor& h, const Tensor& c) {
  if (h.dim() != 2 || !(h.shape() == c.shape()))
    fail("lstm_state: h and c must both be [batch, hidden], got {} and {}", h.shape(), c.shape());
  return cat({h, c}, 1);
}

} // namespace tapegrad::nn

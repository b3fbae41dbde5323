#include "nn/recurrent.hpp"

#include "nn/cell_products.hpp"
#include "nn/cell_step.hpp"
#include "nn/init.hpp"

#include <autograd/ops.hpp>

#include <cmath>

namespace tapegrad::nn {

RecurrentState RecurrentState::detach() const {
  return {h.defined() ? h.detach() : Tensor(), c.defined() ? c.detach() : Tensor()};
}

Tensor mask_from_lengths(const std::vector<std::int64_t>& lengths, std::int64_t time, DType dtype) {
  std::vector<double> mask;
  mask.reserve(lengths.size() * static_cast<std::size_t>(std::max<std::int64_t>(time, 0)));
  for (std::size_t b = 0; b < lengths.size(); ++b) {
    if (lengths[b] < 1 || lengths[b] > time)
      fail("mask_from_lengths: sequence {} has length {}, expected 1 to {} (the padded length)", b,
           lengths[b], time);
    for (std::int64_t t = 0; t < time; ++t)
      mask.push_back(t < lengths[b] ? 1.0 : 0.0);
  }
  return from_vector(mask, {static_cast<std::int64_t>(lengths.size()), time}, dtype);
}

Recurrent::Recurrent(std::string name, const RecurrentOptions& options, std::int64_t gates,
                     std::int64_t state_parts, Generator& gen, DType dtype)
    : Module(std::move(name)), options_(options), state_parts_(state_parts) {
  if (options.input_size <= 0 || options.hidden_size <= 0 || options.num_layers <= 0)
    fail("{}: expected a positive input_size, hidden_size and num_layers, got {}, {} and {}",
         type_name(), options.input_size, options.hidden_size, options.num_layers);
  const std::int64_t hidden = options.hidden_size;
  // torch's reset_parameters: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden)), drawn per
  // layer in the order weight_ih, weight_hh, bias_ih, bias_hh.
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  layers_.resize(static_cast<std::size_t>(options.num_layers));
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    Layer& layer = layers_[l];
    const std::int64_t in = l == 0 ? options.input_size : hidden;
    const auto make = [&](Tensor& slot, const Shape& shape, const std::string& name) {
      slot = init::uniform_(empty(shape, dtype), -bound, bound, gen);
      register_parameter(name + "_l" + std::to_string(l), slot);
    };
    make(layer.weight_ih, {gates * hidden, in}, "weight_ih");
    make(layer.weight_hh, {gates * hidden, hidden}, "weight_hh");
    make(layer.bias_ih, {gates * hidden}, "bias_ih");
    make(layer.bias_hh, {gates * hidden}, "bias_hh");
  }
}

RecurrentOutput Recurrent::forward(const Tensor& x, const RecurrentState& initial,
                                   const Tensor& mask) {
  const std::string& name = type_name();
  const std::int64_t hidden = options_.hidden_size, layers = options_.num_layers;
  const DType dtype = layers_.front().weight_ih.dtype();
  if (x.dim() != 3 || x.size(2) != options_.input_size || x.size(1) < 1)
    fail("{}: the input has shape {}, expected [batch, time >= 1, {}] (batch first)", name,
         x.shape(), options_.input_size);
  if (x.dtype() != dtype)
    fail("{}: the input is {} and the layer {}; convert one with .to()", name, x.dtype(), dtype);
  const std::int64_t batch = x.size(0), time = x.size(1);

  // Each step's column of the mask, undefined where every sequence has a real step.
  std::vector<Tensor> mask_at(static_cast<std::size_t>(time));
  if (mask.defined()) {
    if (!(mask.shape() == Shape{batch, time}))
      fail("{}: the mask has shape {}, expected [{}, {}] (batch, time) for an input of shape {}",
           name, mask.shape(), batch, time, x.shape());
    const Tensor m = mask.to(dtype).detach();
    const std::vector<double> values = m.to_vector<double>();
    for (std::int64_t t = 0; t < time; ++t) {
      bool all_real = true;
      for (std::int64_t b = 0; b < batch; ++b)
        all_real = all_real && values[static_cast<std::size_t>(b * time + t)] == 1.0;
      if (!all_real)
        mask_at[static_cast<std::size_t>(t)] = m.slice(1, t, t + 1).reshape({batch});
    }
  }

  const Shape state_shape{layers, batch, hidden};
  const bool lstm = state_parts_ == 2;
  if (initial.h.defined() && !(initial.h.shape() == state_shape))
    fail("{}: the initial h has shape {}, expected [{}, {}, {}] (layers, batch, hidden)", name,
         initial.h.shape(), layers, batch, hidden);
  if (lstm && initial.h.defined() != initial.c.defined())
    fail("{}: an initial state needs both h and c, got {} without {}", name,
         initial.h.defined() ? "h" : "c", initial.h.defined() ? "c" : "h");
  if (lstm && initial.c.defined() && !(initial.c.shape() == state_shape))
    fail("{}: the initial c has shape {}, expected [{}, {}, {}] (layers, batch, hidden)", name,
         initial.c.shape(), layers, batch, hidden);
  if (!lstm && initial.c.defined())
    fail("{}: a GRU has no cell state, but the initial state has a c", name);
  for (const Tensor* t : {&initial.h, &initial.c})
    if (t->defined() && t->dtype() != dtype)
      fail("{}: the initial state is {} and the layer {}; convert one with .to()", name, t->dtype(),
           dtype);

  std::vector<Tensor> inputs(static_cast<std::size_t>(time)), states(inputs.size()), finals;
  for (std::int64_t t = 0; t < time; ++t)
    inputs[static_cast<std::size_t>(t)] = x.slice(1, t, t + 1).reshape({batch, x.size(2)});
  for (std::int64_t l = 0; l < layers; ++l) {
    const Layer& layer = layers_[static_cast<std::size_t>(l)];
    const auto initial_part = [&](const Tensor& t) {
      return t.slice(0, l, l + 1).reshape({batch, hidden});
    };
    Tensor state = !initial.h.defined()
                       ? zeros({batch, state_parts_ * hidden}, dtype)
                       : (lstm ? cat({initial_part(initial.h), initial_part(initial.c)}, 1)
                               : initial_part(initial.h));
    // The weights transposed once for the forward products, and, when the steps are recorded,
    // one accumulator that sums their weight gradients after the walk back reaches step 0.
    detail::StepContext context{detail::transposed(layer.weight_ih),
                                detail::transposed(layer.weight_hh), nullptr, 0};
    if (detail::records({layer.weight_ih, layer.weight_hh, layer.bias_ih, layer.bias_hh}))
      context.gradients = std::make_shared<detail::LayerGradients>(
          layer.weight_ih, layer.weight_hh, layer.bias_ih, layer.bias_hh, time, batch, lstm);
    for (std::size_t t = 0; t < inputs.size(); ++t) {
      context.step = static_cast<std::int64_t>(t);
      states[t] = state = step(layer, inputs[t], state, mask_at[t], context);
    }
    finals.push_back(state);
    if (l + 1 < layers) // this layer's h at each step is the next layer's input
      for (std::size_t t = 0; t < inputs.size(); ++t)
        inputs[t] = lstm ? states[t].slice(1, 0, hidden) : states[t];
  }

  // [batch, W] per step, joined along their rows: [batch, time * W], which is [batch, time, W].
  Tensor output = cat(states, 1).reshape({batch, time, state_parts_ * hidden});
  if (lstm)
    output = output.slice(2, 0, hidden);
  const auto stack = [&](std::int64_t part) {
    std::vector<Tensor> per_layer;
    for (const Tensor& s : finals)
      per_layer.push_back(
          (lstm ? s.slice(1, part * hidden, (part + 1) * hidden) : s).reshape({1, batch, hidden}));
    return per_layer.size() == 1 ? per_layer.front() : cat(per_layer, 0);
  };
  return {output, {stack(0), lstm ? stack(1) : Tensor()}};
}

std::string Recurrent::extra_repr() const {
  return fmt::format("input_size={}, hidden_size={}, num_layers={}", options_.input_size,
                     options_.hidden_size, options_.num_layers);
}

} // namespace tapegrad::nn

#pragma once
// GRU layers, as torch.nn.GRU and torch.nn.GRUCell (Cho et al. 2014): the cell's equations are in
// nn/gru_cell.hpp, the loop through time, the state and the padding in nn/recurrent.hpp.
//
//   nn::GRU gru({.input_size = 3, .hidden_size = 64, .num_layers = 2}, gen);
//   nn::RecurrentOutput out = gru(x, {}, mask);   // x [batch, time, 3]: out.output [batch, time,
//   64] out = gru(x_next, out.state.detach());        // the next chunk, carrying the state
#include "nn/recurrent.hpp"

namespace tapegrad::nn {

class GRU : public Recurrent {
public:
  GRU(const RecurrentOptions& options, Generator& gen, DType dtype = kFloat32);
  using Recurrent::forward;
  RecurrentOutput operator()(const Tensor& x, const RecurrentState& initial = {},
                             const Tensor& mask = Tensor()) {
    return forward(x, initial, mask);
  }

protected:
  Tensor step(const Layer& layer, const Tensor& x, const Tensor& state, const Tensor& mask,
              const detail::StepContext& context) const override;
};

// One step: h' = GRUCell(x, h), parameters weight_ih [3H, in], weight_hh [3H, H], bias_ih and
// bias_hh [3H], initialised as torch's.
class GRUCell : public Module {
public:
  GRUCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen,
          DType dtype = kFloat32);
  // x [batch, in], h [batch, H] (undefined: zeros), mask [batch] of 0/1 or undefined.
  Tensor forward(const Tensor& x, const Tensor& h, const Tensor& mask = Tensor());
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
  std::string extra_repr() const override;

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

private:
  std::int64_t input_size_, hidden_size_;
};

} // namespace tapegrad::nn

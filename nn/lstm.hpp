#pragma once
// LSTM layers, as torch.nn.LSTM and torch.nn.LSTMCell (Hochreiter & Schmidhuber 1997, with the
// forget gate of Gers et al. 2000): the cell's equations are in nn/lstm_cell.hpp, the loop
// through time, the state and the padding in nn/recurrent.hpp.
//
//   nn::LSTM lstm({.input_size = 3, .hidden_size = 64}, gen);
//   nn::RecurrentOutput out = lstm(x, {}, mask);  // out.state.h and out.state.c: [1, batch, 64]
//   out = lstm(x_next, out.state.detach());       // the next chunk, carrying the state
#include "nn/recurrent.hpp"

namespace tapegrad::nn {

class LSTM : public Recurrent {
public:
  LSTM(const RecurrentOptions& options, Generator& gen, DType dtype = kFloat32);
  using Recurrent::forward;
  RecurrentOutput operator()(const Tensor& x, const RecurrentState& initial = {},
                             const Tensor& mask = Tensor()) {
    return forward(x, initial, mask);
  }

protected:
  Tensor step(const Layer& layer, const Tensor& x, const Tensor& state, const Tensor& mask,
              const detail::StepContext& context) const override;
};

// One step: [h' | c'] = LSTMCell(x, [h | c]), parameters weight_ih [4H, in], weight_hh [4H, H],
// bias_ih and bias_hh [4H], initialised as torch's. The state is one tensor [batch, 2H]:
// lstm_state(h, c) builds it, and its halves are state.slice(1, 0, H) and state.slice(1, H, 2H).
class LSTMCell : public Module {
public:
  LSTMCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen,
           DType dtype = kFloat32);
  // x [batch, in], state [batch, 2H] (undefined: zeros), mask [batch] of 0/1 or undefined.
  Tensor forward(const Tensor& x, const Tensor& state, const Tensor& mask = Tensor());
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
  std::string extra_repr() const override;

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

private:
  std::int64_t input_size_, hidden_size_;
};

// [h | c]: h and c [batch, H] side by side, the state an LSTM step takes and returns.
Tensor lstm_state(const Tensor& h, const Tensor& c);

} // namespace tapegrad::nn

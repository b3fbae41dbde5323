#pragma once
// What nn::GRU and nn::LSTM share: batch-first sequences [batch, time, features], stacked layers,
// initial states in and final states out, padding marked by a mask, and the loop through time.
//
// Backpropagation through time needs nothing special on a tape: the loop records one cell op per
// layer and step, in order, so backward() walks the steps in reverse by itself. Truncated BPTT is
// the same loop over a chunk of the steps, starting from the previous chunk's final state cut off
// from the tape (RecurrentState::detach), so that the gradient stops at the chunk's start while
// the state carries on.
//
// Padding: sequences of different lengths share a batch by padding them to the longest and
// passing mask [batch, time], 1 at a real step and 0 at padding (mask_from_lengths). At a padded
// step a layer's state passes through unchanged, so the final state of each sequence is the one
// after its own last step (what torch's packed sequences give), and nothing flows into the weights
// from padding. The outputs at padded steps repeat that carried state: mask them out of the loss.
#include "nn/module.hpp"

#include <autograd/generator.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tapegrad::nn {

namespace detail {
struct StepContext;
}

struct RecurrentOptions {
  std::int64_t input_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t num_layers = 1; // each layer's outputs are the next one's inputs
};

// The state between calls, as torch.nn.GRU and LSTM hand it over: one [batch, hidden] slice per
// layer, the first layer first.
struct RecurrentState {
  Tensor h; // [layers, batch, hidden]
  Tensor c; // [layers, batch, hidden]: the LSTM's cell; undefined for a GRU

  bool defined() const { return h.defined(); }
  // The same values cut off from the tape: the start of the next chunk in truncated BPTT.
  RecurrentState detach() const;
};

struct RecurrentOutput {
  Tensor output;        // [batch, time, hidden]: the last layer's h after every step
  RecurrentState state; // after the last step (of each sequence, with a mask)
};

// [batch, time] of 1 for the first lengths[b] steps of row b and 0 after: the mask of a padded
// batch. Throws for a length below 1 or above `time`.
Tensor mask_from_lengths(const std::vector<std::int64_t>& lengths, std::int64_t time,
                         DType dtype = kFloat32);

// A stack of recurrent layers over time. Its parameters are named as torch's (weight_ih_l0,
// weight_hh_l0, bias_ih_l0, bias_hh_l0, then _l1, ...), each U(-1/sqrt(hidden), 1/sqrt(hidden))
// drawn in that order, as torch.nn.GRU and LSTM initialise them.
class Recurrent : public Module {
public:
  // x [batch, time, input_size]; initial: undefined for zeros, or a state of this layer's shape;
  // mask: undefined (every step real) or [batch, time] of 0 and 1.
  RecurrentOutput forward(const Tensor& x, const RecurrentState& initial,
                          const Tensor& mask = Tensor());
  Tensor forward(const Tensor& x) override { return forward(x, RecurrentState{}).output; }

  const RecurrentOptions& options() const { return options_; }
  std::int64_t hidden_size() const { return options_.hidden_size; }
  std::string extra_repr() const override;

  struct Layer {
    Tensor weight_ih;        // [gates * hidden, input_size] (hidden for the layers above the first)
    Tensor weight_hh;        // [gates * hidden, hidden]
    Tensor bias_ih, bias_hh; // [gates * hidden]
  };
  const std::vector<Layer>& layers() const { return layers_; }

protected:
  // gates: 3 for a GRU, 4 for an LSTM; state_parts: 1 ([h]) or 2 ([h | c]).
  Recurrent(std::string name, const RecurrentOptions& options, std::int64_t gates,
            std::int64_t state_parts, Generator& gen, DType dtype);
  // One step of one layer: x [batch, in], state [batch, state_parts * hidden], mask [batch] or
  // undefined -> the next state (the fused cell op, given the layer's context for the step).
  virtual Tensor step(const Layer& layer, const Tensor& x, const Tensor& state, const Tensor& mask,
                      const detail::StepContext& context) const = 0;

private:
  RecurrentOptions options_;
  std::int64_t state_parts_;
  std::vector<Layer> layers_; // sized once: the module keeps the members' addresses
};

} // namespace tapegrad::nn

#pragma once
// The weight gradients of one recurrent layer over a sequence, summed in one product each instead
// of one small product per step:
//
//   dL/dW_ih = sum_t (dL/da_t)^T x_t = A^T X     dL/dW_hh = sum_t (dL/db_t)^T h_{t-1} = B^T H
//
// where X, H, A, B stack the steps' inputs, previous states and gradients with respect to the two
// products' outputs ([steps * batch, ...]). Each step's forward keeps its x_t and h_{t-1} here,
// each step's backward leaves its dL/da_t and dL/db_t, and the backward of the layer's first step,
// which the reverse walk of the tape reaches last, adds the sums into the weights' gradient slots.
// A step whose backward does not run (nothing after it reached the loss) counts as zeros.
//
// For a GRU the two products get different gradients (dL/db_n = r dL/da_n); for an LSTM they get
// the same one, dL/dp, kept once.
#include <autograd/tensor.hpp>

#include <cstdint>
#include <vector>

namespace tapegrad::nn::detail {

class LayerGradients {
public:
  // weights of the layer; steps and batch of the sequence; shared: one gradient for both products
  // (LSTM).
  LayerGradients(Tensor weight_ih, Tensor weight_hh, Tensor bias_ih, Tensor bias_hh,
                 std::int64_t steps, std::int64_t batch, bool shared);

  // Forward of step t: copies x_t [batch, in] and h_{t-1} [batch, H].
  void keep_inputs(std::int64_t step, const Tensor& x, const Tensor& h);
  // Backward of step t: where to write dL/da_t and dL/db_t, [batch, G] each (the same place when
  // shared); the step counts as written from then on.
  template <class T> T* product_gradient(std::int64_t step, bool hidden_product);
  // After the first step's backward: the sums into the gradient slots (the steps not written
  // counting as zeros).
  void add_to_weights();

private:
  Tensor weight_ih_, weight_hh_, bias_ih_, bias_hh_;
  std::int64_t batch_;
  bool shared_;
  Tensor inputs_, states_;           // X [steps * batch, in], H [steps * batch, H]
  Tensor input_grads_, state_grads_; // A and B [steps * batch, G]; B undefined when shared
  std::vector<bool> written_;        // by each step's backward since the last sums
};

} // namespace tapegrad::nn::detail

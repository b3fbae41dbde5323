#include "nn/lstm_cell.hpp"

#include "nn/cell_products.hpp"
#include "nn/cell_step.hpp"
#include "nn/kernels/lstm_gates.hpp"

#include <autograd/ops.hpp>
#include <autograd/tape.hpp>

namespace tapegrad::nn {

// [h' | c'] from the header's equations, in one record. With the pre-activations
// p = x W_ih^T + b_ih + h W_hh^T + b_hh, backward takes dL/d[h' | c'] through the gates
// (kernels/lstm_gates.hpp) to dL/dp and dL/dc (direct), then through the products:
// dL/dx = dL/dp W_ih, dL/dh = dL/dp W_hh, dL/dW_ih = dL/dp^T x, dL/dW_hh = dL/dp^T h, and both
// biases' gradients are the column sums of dL/dp (the last four summed over a whole sequence at
// once when a layer's loop gives the step a LayerGradients).
Tensor detail::lstm_step(const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                         const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                         const Tensor& mask, const StepContext& context) {
  check_cell_operands("lstm_cell", 4, 2, x, state, weight_ih, weight_hh, bias_ih, bias_hh, mask);
  const kernels::LstmView view{x.size(0), weight_hh.size(1)};
  Tensor h; // the left half of the state, copied for the product; not a step on the tape
  {
    NoGradGuard no_grad;
    h = state.slice(1, 0, view.hidden);
  }
  const Tensor p = empty({view.batch, 4 * view.hidden}, x.dtype());
  affine_into(p, x, weight_ih, context.weight_ih_t, bias_ih, false);
  affine_into(p, h, weight_hh, context.weight_hh_t, bias_hh, true);
  Tensor state_out = empty({view.batch, 2 * view.hidden}, x.dtype());
  Tensor cache = empty({view.batch, 5 * view.hidden}, x.dtype());
  dispatch_floating(x.dtype(), "lstm_cell", [&]<class T>() {
    kernels::lstm_gates_forward(p.data_ptr<T>(), state.data_ptr<T>(),
                                mask.defined() ? mask.data_ptr<T>() : nullptr,
                                state_out.data_ptr<T>(), cache.data_ptr<T>(), view);
  });
  const std::shared_ptr<LayerGradients> sums = context.gradients;
  if (sums && records({x, state, weight_ih, weight_hh, bias_ih, bias_hh}))
    sums->keep_inputs(context.step, x, h);
  return record(
      "lstm_cell", state_out, {x, state, weight_ih, weight_hh, bias_ih, bias_hh},
      [x, state, h, weight_ih, weight_hh, bias_ih, bias_hh, mask, cache, view, sums,
       step = context.step](const Tensor& g) {
        const std::int64_t n = view.batch, hidden = view.hidden;
        const Tensor own_gp = sums ? Tensor() : empty({n, 4 * hidden}, x.dtype());
        Tensor g_state = empty_like(state);
        dispatch_floating(x.dtype(), "lstm_cell", [&]<class T>() {
          T* gp = sums ? sums->product_gradient<T>(step, false) : own_gp.data_ptr<T>();
          kernels::lstm_gates_backward(cache.data_ptr<T>(), state.data_ptr<T>(),
                                       mask.defined() ? mask.data_ptr<T>() : nullptr,
                                       g.data_ptr<T>(), gp, g_state.data_ptr<T>(), view);
          if (x.requires_grad()) {
            Tensor gx = empty_like(x);
            input_gradient(gp, weight_ih, n, gx.data_ptr<T>(), x.size(1), false);
            accumulate_grad(x, std::move(gx));
          }
          if (state.requires_grad()) { // dL/dh = dL/dp W_hh, into the left half (row stride 2H)
            input_gradient(gp, weight_hh, n, g_state.data_ptr<T>(), 2 * hidden, true);
            accumulate_grad(state, std::move(g_state));
          }
        });
        if (!sums) {
          accumulate_weight_gradients(own_gp, x, weight_ih, bias_ih);
          accumulate_weight_gradients(own_gp, h, weight_hh, bias_hh);
        } else if (step == 0) { // the layer's last backward: every step's gradients are in
          sums->add_to_weights();
        }
      });
}

Tensor lstm_cell(const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                 const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                 const Tensor& mask) {
  return detail::lstm_step(x, state, weight_ih, weight_hh, bias_ih, bias_hh, mask, {});
}

// The same step op by op: the reference for the fused op.
Tensor lstm_cell_composed(const Tensor& x, const Tensor& state, const Tensor& weight_ih,
                          const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                          const Tensor& mask) {
  detail::check_cell_operands("lstm_cell_composed", 4, 2, x, state, weight_ih, weight_hh, bias_ih,
                              bias_hh, mask);
  const std::int64_t hidden = weight_hh.size(1);
  const Tensor h = state.slice(1, 0, hidden), c = state.slice(1, hidden, 2 * hidden);
  const Tensor p = linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh);
  const auto gate = [&p, hidden](std::int64_t k) {
    return p.slice(1, k * hidden, (k + 1) * hidden);
  };
  const Tensor i = sigmoid(gate(0)), f = sigmoid(gate(1)), g = tanh(gate(2)), o = sigmoid(gate(3));
  const Tensor c_new = f * c + i * g;
  const Tensor state_new = cat({o * tanh(c_new), c_new}, 1);
  if (!mask.defined())
    return state_new;
  const Tensor m = mask.reshape({-1, 1});
  return m * state_new + (1.0 - m) * state;
}

} // namespace tapegrad::nn

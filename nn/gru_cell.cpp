#include "nn/gru_cell.hpp"

#include "nn/cell_products.hpp"
#include "nn/cell_step.hpp"
#include "nn/kernels/gru_gates.hpp"

#include <autograd/ops.hpp>
#include <autograd/tape.hpp>

namespace tapegrad::nn {

// h' = blend of n and h by z (the header's equations), in one record. With a = x W_ih^T + b_ih and
// b = h W_hh^T + b_hh, backward takes dL/dh' through the gates (kernels/gru_gates.hpp) to dL/da and
// dL/db, then through the products: dL/dx = dL/da W_ih, dL/dh = dL/dh (direct) + dL/db W_hh,
// dL/dW_ih = dL/da^T x, dL/dW_hh = dL/db^T h, dL/db_ih and dL/db_hh = the column sums (these four
// summed over a whole sequence at once when a layer's loop gives the step a LayerGradients).
Tensor detail::gru_step(const Tensor& x, const Tensor& h, const Tensor& weight_ih,
                        const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                        const Tensor& mask, const StepContext& context) {
  check_cell_operands("gru_cell", 3, 1, x, h, weight_ih, weight_hh, bias_ih, bias_hh, mask);
  const kernels::GruView view{x.size(0), weight_hh.size(1)};
  const Tensor a = empty({view.batch, 3 * view.hidden}, x.dtype()), b = empty_like(a);
  affine_into(a, x, weight_ih, context.weight_ih_t, bias_ih, false);
  affine_into(b, h, weight_hh, context.weight_hh_t, bias_hh, false);
  Tensor h_out = empty({view.batch, view.hidden}, x.dtype());
  Tensor cache = empty({view.batch, 4 * view.hidden}, x.dtype());
  dispatch_floating(x.dtype(), "gru_cell", [&]<class T>() {
    kernels::gru_gates_forward(a.data_ptr<T>(), b.data_ptr<T>(), h.data_ptr<T>(),
                               mask.defined() ? mask.data_ptr<T>() : nullptr, h_out.data_ptr<T>(),
                               cache.data_ptr<T>(), view);
  });
  const std::shared_ptr<LayerGradients> sums = context.gradients;
  if (sums && records({x, h, weight_ih, weight_hh, bias_ih, bias_hh}))
    sums->keep_inputs(context.step, x, h);
  return record("gru_cell", h_out, {x, h, weight_ih, weight_hh, bias_ih, bias_hh},
                [x, h, weight_ih, weight_hh, bias_ih, bias_hh, mask, cache, view, sums,
                 step = context.step](const Tensor& g) {
                  const std::int64_t n = view.batch, hidden = view.hidden;
                  // dL/da and dL/db: the layer's slots for this step, or this step's own.
                  const Tensor own_ga = sums ? Tensor() : empty({n, 3 * hidden}, x.dtype());
                  const Tensor own_gb = sums ? Tensor() : empty_like(own_ga);
                  Tensor gh = empty_like(h);
                  dispatch_floating(x.dtype(), "gru_cell", [&]<class T>() {
                    T* ga = sums ? sums->product_gradient<T>(step, false) : own_ga.data_ptr<T>();
                    T* gb = sums ? sums->product_gradient<T>(step, true) : own_gb.data_ptr<T>();
                    kernels::gru_gates_backward(cache.data_ptr<T>(), h.data_ptr<T>(),
                                                mask.defined() ? mask.data_ptr<T>() : nullptr,
                                                g.data_ptr<T>(), ga, gb, gh.data_ptr<T>(), view);
                    if (x.requires_grad()) {
                      Tensor gx = empty_like(x);
                      input_gradient(ga, weight_ih, n, gx.data_ptr<T>(), x.size(1), false);
                      accumulate_grad(x, std::move(gx));
                    }
                    if (h.requires_grad()) {
                      input_gradient(gb, weight_hh, n, gh.data_ptr<T>(), hidden, true);
                      accumulate_grad(h, std::move(gh));
                    }
                  });
                  if (!sums) {
                    accumulate_weight_gradients(own_ga, x, weight_ih, bias_ih);
                    accumulate_weight_gradients(own_gb, h, weight_hh, bias_hh);
                  } else if (step ==
                             0) { // the layer's last backward: every step's gradients are in
                    sums->add_to_weights();
                  }
                });
}

Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& weight_ih, const Tensor& weight_hh,
                const Tensor& bias_ih, const Tensor& bias_hh, const Tensor& mask) {
  return detail::gru_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh, mask, {});
}

// The same step op by op: the reference for the fused op.
Tensor gru_cell_composed(const Tensor& x, const Tensor& h, const Tensor& weight_ih,
                         const Tensor& weight_hh, const Tensor& bias_ih, const Tensor& bias_hh,
                         const Tensor& mask) {
  detail::check_cell_operands("gru_cell_composed", 3, 1, x, h, weight_ih, weight_hh, bias_ih,
                              bias_hh, mask);
  const std::int64_t hidden = weight_hh.size(1);
  const Tensor a = linear(x, weight_ih, bias_ih), b = linear(h, weight_hh, bias_hh);
  const auto gate = [hidden](const Tensor& t, std::int64_t k) {
    return t.slice(1, k * hidden, (k + 1) * hidden);
  };
  const Tensor r = sigmoid(gate(a, 0) + gate(b, 0));
  const Tensor z = sigmoid(gate(a, 1) + gate(b, 1));
  const Tensor n = tanh(gate(a, 2) + r * gate(b, 2));
  const Tensor h_new = (1.0 - z) * n + z * h;
  if (!mask.defined())
    return h_new;
  const Tensor m = mask.reshape({-1, 1});
  return m * h_new + (1.0 - m) * h;
}

bool detail::records(std::initializer_list<Tensor> operands) {
  if (!GradMode::is_enabled())
    return false;
  for (const Tensor& t : operands)
    if (t.requires_grad())
      return true;
  return false;
}

} // namespace tapegrad::nn

#include "nn/gru_cell.hpp"

#include "nn/cell_products.hpp"
#include "nn/kernels/gru_gates.hpp"

#include <autograd/ops.hpp>

namespace tapegrad::nn {

// h' = blend of n and h by z (the header's equations), in one record. With a = x W_ih^T + b_ih and
// b = h W_hh^T + b_hh, backward takes dL/dh' through the gates (kernels/gru_gates.hpp) to dL/da and
// dL/db, then through the products: dL/dx = dL/da W_ih, dL/dh = dL/dh (direct) + dL/db W_hh,
// dL/dW_ih = dL/da^T x, dL/dW_hh = dL/db^T h, dL/db_ih and dL/db_hh = the column sums.
Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& weight_ih, const Tensor& weight_hh,
                const Tensor& bias_ih, const Tensor& bias_hh, const Tensor& mask) {
  detail::check_cell_operands("gru_cell", 3, 1, x, h, weight_ih, weight_hh, bias_ih, bias_hh, mask);
  const kernels::GruView view{x.size(0), weight_hh.size(1)};
  const Tensor a = detail::affine(x, weight_ih, bias_ih), b = detail::affine(h, weight_hh, bias_hh);
  Tensor h_out = empty({view.batch, view.hidden}, x.dtype());
  Tensor cache = empty({view.batch, 4 * view.hidden}, x.dtype());
  dispatch_floating(x.dtype(), "gru_cell", [&]<class T>() {
    kernels::gru_gates_forward(a.data_ptr<T>(), b.data_ptr<T>(), h.data_ptr<T>(),
                               mask.defined() ? mask.data_ptr<T>() : nullptr, h_out.data_ptr<T>(),
                               cache.data_ptr<T>(), view);
  });
  return record("gru_cell", h_out, {x, h, weight_ih, weight_hh, bias_ih, bias_hh},
                [x, h, weight_ih, weight_hh, bias_ih, bias_hh, mask, cache, view](const Tensor& g) {
                  Tensor ga = empty({view.batch, 3 * view.hidden}, x.dtype()), gb = empty_like(ga);
                  Tensor gh = empty_like(h);
                  dispatch_floating(x.dtype(), "gru_cell", [&]<class T>() {
                    kernels::gru_gates_backward(cache.data_ptr<T>(), h.data_ptr<T>(),
                                                mask.defined() ? mask.data_ptr<T>() : nullptr,
                                                g.data_ptr<T>(), ga.data_ptr<T>(), gb.data_ptr<T>(),
                                                gh.data_ptr<T>(), view);
                  });
                  if (Tensor gx = detail::affine_backward(ga, x, weight_ih, bias_ih); gx.defined())
                    accumulate_grad(x, std::move(gx));
                  if (h.requires_grad())
                    accumulate_grad(h, detail::affine_backward(gb, h, weight_hh, bias_hh, gh));
                  else
                    detail::affine_backward(gb, h, weight_hh, bias_hh);
                });
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

} // namespace tapegrad::nn

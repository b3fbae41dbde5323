#include "mdn/head_nll.hpp"

#include "autograd/tape.hpp"
#include "mdn/kernels/head.hpp"

namespace tapegrad::mdn {

namespace {

kernels::HeadScales head_scales(NoiseModel noise) {
  switch (noise) {
  case NoiseModel::Diagonal:
    return kernels::HeadScales::PerCoordinate;
  case NoiseModel::Isotropic:
    return kernels::HeadScales::PerComponent;
  case NoiseModel::Fixed:
    return kernels::HeadScales::Fixed;
  case NoiseModel::Full:
    break;
  }
  fail("stacked_head_nll: the full noise model has no fused loss");
}

} // namespace

// loss = -(1/B) sum_b lse_b;  dL/dlse_b = -g / B for every row, and kernels/head.hpp turns that
// into the gradients of the logits, means and scale pre-activations (and of y, if it needs one).
Tensor stacked_head_nll(const Tensor& outputs, const Tensor& y, std::int64_t components,
                        NoiseModel noise, double min_scale, double fixed_scale) {
  const std::int64_t b = y.size(0), d = y.size(1);
  const kernels::HeadView view{b, components, d, head_scales(noise), min_scale, fixed_scale};
  if (!(outputs.shape() == Shape{b, view.width()}) || outputs.dtype() != y.dtype())
    fail("stacked_head_nll: outputs have shape {} ({}), expected [{}, {}] ({})", outputs.shape(),
         outputs.dtype(), b, view.width(), y.dtype());
  // What the backward reads (the rows transposed, the scales and their slopes, the joint
  // log-densities): it needs neither the outputs nor y again.
  Tensor saved, loss = empty({}, y.dtype());
  dispatch_floating(y.dtype(), "nll", [&]<class T>() {
    saved = empty({kernels::head_saved_size<T>(view)}, y.dtype());
    const T sum = kernels::head_nll_forward(outputs.data_ptr<T>(), y.data_ptr<T>(),
                                            saved.data_ptr<T>(), view);
    *loss.data_ptr<T>() = -sum / static_cast<T>(b);
  });
  return record("nll", loss, {outputs, y}, [outputs, y, saved, view](const Tensor& g) {
    Tensor d_outputs = empty_like(outputs);
    Tensor d_y = y.requires_grad() ? empty_like(y) : Tensor();
    dispatch_floating(y.dtype(), "nll", [&]<class T>() {
      const T weight = -*g.data_ptr<T>() / static_cast<T>(view.batch);
      kernels::head_nll_backward(saved.data_ptr<T>(), weight, d_outputs.data_ptr<T>(),
                                 d_y.defined() ? d_y.data_ptr<T>() : nullptr, view);
    });
    accumulate_grad(outputs, std::move(d_outputs));
    if (d_y.defined())
      accumulate_grad(y, std::move(d_y));
  });
}

} // namespace tapegrad::mdn

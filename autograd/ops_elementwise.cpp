// Element-wise ops: the loops come from the tables in kernels/elementwise_ops.hpp, so each op here
// is only its forward, its record, and its backward (gradient times the table's derivative).
#include "autograd/broadcast.hpp"
#include "autograd/kernels/elementwise_simd.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {

namespace {

void check_floating(const Tensor& x, const char* op) {
  if (!is_floating(x.dtype()))
    fail("{}: expected a float32 or float64 tensor, got {}", op, x.dtype());
}

// y = f(x; a, b);  dL/dx = dL/dy * f'(x). `op` is the name the user called (x * 2.0 is "mul", not
// the table's mul_scalar), for errors and the tape.
template <class Op>
Tensor unary(const Tensor& x, double a = 0.0, double b = 0.0, const char* op = Op::name) {
  check_floating(x, op);
  Tensor y = empty_like(x);
  dispatch_floating(x.dtype(), op, [&]<class T>() {
    kernels::unary_forward<Op>(x.data_ptr<T>(), y.data_ptr<T>(), x.numel(), T(a), T(b));
  });
  return record(op, y, {x}, [x, y, a, b, op](const Tensor& gy) {
    Tensor gx = empty_like(x);
    dispatch_floating(x.dtype(), op, [&]<class T>() {
      kernels::unary_backward<Op>(x.data_ptr<T>(), y.data_ptr<T>(), gy.data_ptr<T>(),
                                  gx.data_ptr<T>(), x.numel(), T(a), T(b));
    });
    accumulate_grad(x, std::move(gx));
  });
}

// z = f(a, b) with broadcasting;  dL/da = sum over a's repeated axes of dL/dz * df/da, same for b.
template <class Op> Tensor binary(const Tensor& a, const Tensor& b) {
  check_floating(a, Op::name);
  check_floating(b, Op::name);
  if (a.dtype() != b.dtype())
    fail("{}: dtypes differ ({} and {}); convert one with .to()", Op::name, a.dtype(), b.dtype());
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), Op::name);
  const kernels::BroadcastPlan plan = broadcast_plan(a.shape(), b.shape(), out_shape);
  Tensor z = empty(out_shape, a.dtype());
  dispatch_floating(a.dtype(), Op::name, [&]<class T>() {
    kernels::binary_forward<Op>(a.data_ptr<T>(), b.data_ptr<T>(), z.data_ptr<T>(), plan);
  });
  return record(Op::name, z, {a, b}, [a, b, z, plan](const Tensor& gz) {
    Tensor ga = a.requires_grad() ? zeros_like(a) : Tensor();
    Tensor gb = b.requires_grad() ? zeros_like(b) : Tensor();
    dispatch_floating(a.dtype(), Op::name, [&]<class T>() {
      kernels::binary_backward<Op>(a.data_ptr<T>(), b.data_ptr<T>(), z.data_ptr<T>(),
                                   gz.data_ptr<T>(), ga.defined() ? ga.data_ptr<T>() : nullptr,
                                   gb.defined() ? gb.data_ptr<T>() : nullptr, plan);
    });
    if (ga.defined())
      accumulate_grad(a, std::move(ga));
    if (gb.defined())
      accumulate_grad(b, std::move(gb));
  });
}

} // namespace

#define TAPEGRAD_DEFINE_UNARY_(NAME, VALUE, DERIVATIVE)                                            \
  Tensor NAME(const Tensor& x) {                                                                   \
    return unary<kernels::NAME##_op>(x);                                                           \
  }
TAPEGRAD_UNARY_OPS(TAPEGRAD_DEFINE_UNARY_)
#undef TAPEGRAD_DEFINE_UNARY_

#define TAPEGRAD_DEFINE_BINARY_(NAME, VALUE, DA, DB)                                               \
  Tensor NAME(const Tensor& a, const Tensor& b) {                                                  \
    return binary<kernels::NAME##_op>(a, b);                                                       \
  }
TAPEGRAD_BINARY_OPS(TAPEGRAD_DEFINE_BINARY_)
#undef TAPEGRAD_DEFINE_BINARY_

Tensor pow(const Tensor& x, double exponent) {
  return unary<kernels::pow_scalar_op>(x, exponent, 0.0, "pow");
}

Tensor clamp(const Tensor& x, double min, double max) {
  if (!(min <= max))
    fail("clamp: expected min <= max, got min {} and max {}", min, max);
  return unary<kernels::clamp_op>(x, min, max, "clamp");
}

Tensor elu(const Tensor& x, double alpha) {
  return unary<kernels::elu_op>(x, alpha, 0.0, "elu");
}

// out = condition ? a : b, the three broadcast together;  dL/da = dL/dout where the condition
// holds, 0 elsewhere (summed over the axes a was repeated along), and dL/db the other way round
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  check_floating(a, "where");
  if (a.dtype() != b.dtype())
    fail("where: dtypes differ ({} and {}); convert one with .to()", a.dtype(), b.dtype());
  const Shape out_shape =
      broadcast_shapes(broadcast_shapes(condition.shape(), a.shape(), "where"), b.shape(), "where");
  // The condition expanded to the output's shape, so that the kernels walk two inputs, not three.
  Tensor mask = empty(out_shape, condition.dtype());
  dispatch_all(condition.dtype(), [&]<class M>() {
    kernels::strided_copy(condition.data_ptr<M>(), mask.data_ptr<M>(),
                          broadcast_plan(condition.shape(), condition.shape(), out_shape));
  });
  Tensor out = empty(out_shape, a.dtype());
  dispatch_floating(a.dtype(), "where", [&]<class T>() {
    dispatch_all(mask.dtype(), [&]<class M>() {
      kernels::where_forward(mask.data_ptr<M>(), a.data_ptr<T>(), b.data_ptr<T>(),
                             out.data_ptr<T>(), broadcast_plan(a.shape(), b.shape(), out_shape));
    });
  });
  return record("where", out, {a, b}, [a, b, mask](const Tensor& gout) {
    Tensor ga = a.requires_grad() ? zeros_like(a) : Tensor();
    Tensor gb = b.requires_grad() ? zeros_like(b) : Tensor();
    dispatch_floating(a.dtype(), "where", [&]<class T>() {
      dispatch_all(mask.dtype(), [&]<class M>() {
        kernels::where_backward(mask.data_ptr<M>(), gout.data_ptr<T>(),
                                ga.defined() ? ga.data_ptr<T>() : nullptr,
                                gb.defined() ? gb.data_ptr<T>() : nullptr,
                                broadcast_plan(a.shape(), b.shape(), mask.shape()));
      });
    });
    if (ga.defined())
      accumulate_grad(a, std::move(ga));
    if (gb.defined())
      accumulate_grad(b, std::move(gb));
  });
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
Tensor operator-(const Tensor& x) {
  return neg(x);
}
Tensor operator+(const Tensor& x, double s) {
  return unary<kernels::add_scalar_op>(x, s, 0.0, "add");
}
Tensor operator-(const Tensor& x, double s) {
  return unary<kernels::sub_scalar_op>(x, s, 0.0, "sub");
}
Tensor operator*(const Tensor& x, double s) {
  return unary<kernels::mul_scalar_op>(x, s, 0.0, "mul");
}
Tensor operator/(const Tensor& x, double s) {
  return unary<kernels::div_scalar_op>(x, s, 0.0, "div");
}
Tensor operator+(double s, const Tensor& x) {
  return unary<kernels::add_scalar_op>(x, s, 0.0, "add");
}
Tensor operator-(double s, const Tensor& x) {
  return unary<kernels::rsub_scalar_op>(x, s, 0.0, "sub");
}
Tensor operator*(double s, const Tensor& x) {
  return unary<kernels::mul_scalar_op>(x, s, 0.0, "mul");
}
Tensor operator/(double s, const Tensor& x) {
  return unary<kernels::rdiv_scalar_op>(x, s, 0.0, "div");
}

} // namespace tapegrad

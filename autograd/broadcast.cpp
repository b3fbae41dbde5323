#include "autograd/broadcast.hpp"

namespace tapegrad {

kernels::BroadcastPlan broadcast_plan(const Shape& a, const Shape& b, const Shape& out) {
  kernels::BroadcastPlan plan;
  plan.rank = out.rank();
  plan.numel = out.numel();
  std::int64_t stride_a = 1, stride_b = 1;
  for (int axis = out.rank() - 1; axis >= 0; --axis) {
    const auto k = static_cast<std::size_t>(axis);
    const int ia = axis - (out.rank() - a.rank()), ib = axis - (out.rank() - b.rank());
    const std::int64_t size_a = ia >= 0 ? a[ia] : 1, size_b = ib >= 0 ? b[ib] : 1;
    plan.size[k] = out[axis];
    plan.stride_a[k] = size_a == 1 ? 0 : stride_a;
    plan.stride_b[k] = size_b == 1 ? 0 : stride_b;
    stride_a *= size_a;
    stride_b *= size_b;
  }
  return plan;
}

} // namespace tapegrad

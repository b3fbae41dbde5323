#include "autograd/broadcast.hpp"

#include <algorithm>
#include <span>

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

BatchPlan plan_batches(const Shape& a, const Shape& b, const char* op) {
  const Shape a_batch(std::span<const std::int64_t>(a.begin(), a.end() - 2));
  const Shape b_batch(std::span<const std::int64_t>(b.begin(), b.end() - 2));
  for (int i = 1; i <= std::min(a_batch.rank(), b_batch.rank()); ++i) {
    const std::int64_t sa = a_batch[a_batch.rank() - i], sb = b_batch[b_batch.rank() - i];
    if (sa != sb && sa != 1 && sb != 1)
      fail("{}: the batch axes of {} and {} do not broadcast (sizes {} and {}; expected equal "
           "sizes or a 1)",
           op, a, b, sa, sb);
  }
  const Shape shape = broadcast_shapes(a_batch, b_batch, op);
  return {shape, broadcast_plan(a_batch, b_batch, shape)};
}

} // namespace tapegrad

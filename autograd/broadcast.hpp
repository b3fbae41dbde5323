#pragma once
// The walk a broadcasting binary op takes over its output: for each output axis, the element
// stride of each input along it, 0 where that input has size 1 (or lacks the axis) and repeats.
#include "autograd/kernels/elementwise.hpp"
#include "autograd/shape.hpp"

namespace tapegrad {

// out must be broadcast_shapes(a, b).
kernels::BroadcastPlan broadcast_plan(const Shape& a, const Shape& b, const Shape& out);

} // namespace tapegrad

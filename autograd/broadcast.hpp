#pragma once
// The walks broadcasting ops take over their output: for each output axis, the element stride of
// each input along it, 0 where that input has size 1 (or lacks the axis) and repeats. And the same
// for the batch axes of two stacks of matrices (matmul, solve_triangular).
#include "autograd/kernels/elementwise.hpp"
#include "autograd/shape.hpp"

namespace tapegrad {

// out must be broadcast_shapes(a, b).
kernels::BroadcastPlan broadcast_plan(const Shape& a, const Shape& b, const Shape& out);

// The batch axes (all but the last two) of stacks of matrices a [..., r, c] and b [..., r', c'],
// broadcast: the output's batch shape, and a plan whose walk gives, for output matrix i, the
// indices ia and ib of the matrices of a and b it reads.
struct BatchPlan {
  Shape shape;
  kernels::BroadcastPlan plan;
};
BatchPlan plan_batches(const Shape& a, const Shape& b, const char* op);

} // namespace tapegrad

#pragma once
// For learners: the recorded graph as a picture and as text.
//   to_dot(loss)  Graphviz DOT of everything loss was computed from: one box per op with its output
//                 shape and, after backward, the norm of its gradient; one ellipse per leaf.
//                 Render with `dot -Tsvg graph.dot -o graph.svg`.
//   tape_trace()  the calling thread's tape, one line per record, in the order recorded.
#include "autograd/tensor.hpp"

#include <string>

namespace tapegrad {

std::string to_dot(const Tensor& root);
std::string tape_trace();

} // namespace tapegrad

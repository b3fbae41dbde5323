#pragma once
// The tape: a thread-local Wengert list. Every differentiable op that sees an input requiring grad
// appends one record: its inputs, its output, and a closure that turns the output's gradient into
// its inputs' gradients. Records are appended in the order ops run, which is already a topological
// order, so backward() is one reverse loop over the list: no graph search, no recursion.
//
//   x (leaf) ──exp──> y ──mul──> z          tape: [ #0 exp(x) -> y, #1 mul(y, x) -> z ]
//   z.backward():  grad z = 1;  #1 gives grad y, grad x;  #0 adds to grad x.
#include "autograd/grad_mode.hpp"
#include "autograd/record_parts.hpp"
#include "autograd/tensor.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

namespace tapegrad {

struct TapeRecord {
  const char* op;
  InputList inputs;
  std::shared_ptr<TensorImpl> output;
  BackwardFunction backward;
};

// A tape belongs to its thread. A tensor remembers the generation (unique across threads and steps)
// of the tape that recorded it, so that using it on another thread, in an op or in backward(), is
// an Error rather than a walk of the wrong list; nothing on the recording path locks.
class Tape {
public:
  static Tape& current() { // the calling thread's tape
    thread_local Tape tape;
    return tape;
  }

  const std::vector<TapeRecord>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  bool walked() const { return walked_; }
  std::uint64_t generation() const { return generation_; }

  // Drops every record, frees the gradient slots of the temporaries, and makes the tape ready
  // for the next step. Tensors recorded so far keep their values but lose their history.
  void clear();

  void append(const char* op, const Tensor& output, std::span<const Tensor> inputs,
              BackwardFunction backward);
  // retain_graph leaves the tape open: backward() may walk it again, and ops may record onto it.
  void run_backward(const Tensor& root, const Tensor& seed, bool retain_graph = false);

private:
  // The misuses backward() reports before it touches any gradient.
  void check_backward_root(const TensorImpl& root, const Tensor& seed) const;
  std::vector<TapeRecord> records_;
  bool walked_ = false;   // walked without retain_graph: closed until clear()
  bool retained_ = false; // walked with retain_graph: the temporaries hold its gradients
  std::uint64_t generation_ = new_generation();
  static std::uint64_t new_generation();
};

// Call once per training step, after the optimiser's update.
inline void clear_tape() {
  Tape::current().clear();
}

// Every op ends with `return record(op, output, {inputs...}, backward)`: the record is appended
// only when recording is on and some input requires grad, so inference pays nothing for it.
template <class Backward>
Tensor record(const char* op, Tensor output, std::span<const Tensor> inputs, Backward&& backward) {
  if (is_anomaly_enabled())
    detail::check_output(output, op);
  if (GradMode::is_enabled() && std::ranges::any_of(inputs, &Tensor::requires_grad))
    Tape::current().append(op, output, inputs, std::forward<Backward>(backward));
  return output;
}
template <class Backward>
Tensor record(const char* op, Tensor output, std::initializer_list<Tensor> inputs,
              Backward&& backward) {
  return record(op, std::move(output), std::span<const Tensor>(inputs.begin(), inputs.size()),
                std::forward<Backward>(backward));
}

// Adds `grad` into input's gradient slot (if the input requires grad). A backward closure calls
// this once per input; passing a freshly computed tensor lets the slot take its buffer as it is.
void accumulate_grad(const Tensor& input, Tensor grad);

} // namespace tapegrad

#pragma once
// The tape: a thread-local Wengert list. Every differentiable op that sees an input requiring grad
// appends one record: its inputs, its output, and a closure that turns the output's gradient into
// its inputs' gradients. Records are appended in the order ops run, which is already a topological
// order, so backward() is one reverse loop over the list: no graph search, no recursion.
//
//   x (leaf) ──exp──> y ──mul──> z          tape: [ #0 exp(x) -> y, #1 mul(y, x) -> z ]
//   z.backward():  grad z = 1;  #1 gives grad y, grad x;  #0 adds to grad x.
#include "autograd/record_parts.hpp"
#include "autograd/tensor.hpp"

#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tapegrad {

struct TapeRecord {
  const char* op;
  InputList inputs;
  std::shared_ptr<TensorImpl> output;
  BackwardFunction backward;
};

class Tape {
public:
  // The calling thread's tape.
  static Tape& current();

  const std::vector<TapeRecord>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  bool walked() const { return walked_; }
  std::uint64_t generation() const { return generation_; }

  // Drops every record, frees the gradient slots of the temporaries, and makes the tape ready
  // for the next step. Tensors recorded so far keep their values but lose their history.
  void clear();

  void append(TapeRecord record);
  void run_backward(const Tensor& root, const Tensor& seed);

private:
  std::vector<TapeRecord> records_;
  bool walked_ = false;
  std::uint64_t generation_ = 1;
};

// Tape::current().clear(): call once per training step, after the optimiser's update.
void clear_tape();

// Recording is on by default; NoGradGuard turns it off in its scope (inference, optimiser steps).
class GradMode {
public:
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

class NoGradGuard {
public:
  NoGradGuard() : previous_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
  bool previous_;
};

// Anomaly mode: every op's output and every gradient is checked for NaN and Inf, and the first
// one found throws an Error naming the op that produced it. Slow; for debugging.
void set_detect_anomaly(bool enabled);
bool is_anomaly_enabled();

class DetectAnomalyGuard {
public:
  DetectAnomalyGuard() : previous_(is_anomaly_enabled()) { set_detect_anomaly(true); }
  ~DetectAnomalyGuard() { set_detect_anomaly(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
  bool previous_;
};

namespace detail {
bool any_requires_grad(std::span<const Tensor> inputs);
void check_finite(const Tensor& tensor, const char* op, const char* what);
void append_record(const char* op, const Tensor& output, std::span<const Tensor> inputs,
                   BackwardFunction backward);
} // namespace detail

// Every op ends with `return record(op, output, {inputs...}, backward)`: the record is appended
// only when recording is on and some input requires grad, so inference pays nothing for it.
template <class Backward>
Tensor record(const char* op, Tensor output, std::span<const Tensor> inputs, Backward&& backward) {
  if (is_anomaly_enabled())
    detail::check_finite(output, op, "output");
  if (GradMode::is_enabled() && detail::any_requires_grad(inputs))
    detail::append_record(op, output, inputs, std::forward<Backward>(backward));
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

// For a backward whose kernel can add its result in place (a GEMM with beta = 1): calls
// write(slot, accumulate) with the input's gradient slot and accumulate = true, or, when the slot
// is still empty, with a new buffer of the input's shape to overwrite (accumulate = false), which
// then becomes the slot. Saves the temporary and the pass of accumulate_grad. Does nothing if the
// input does not require grad.
template <class Write> void accumulate_grad_in_place(const Tensor& input, Write&& write) {
  TensorImpl& target = *input.impl();
  if (!target.requires_grad)
    return;
  if (target.grad) {
    write(Tensor(target.grad), true);
    return;
  }
  Tensor slot = empty(target.shape, target.dtype);
  write(slot, false);
  target.grad = slot.impl_ptr();
}

} // namespace tapegrad

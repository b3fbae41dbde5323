#pragma once
// The tape: a thread-local Wengert list. Every differentiable op that sees an input requiring grad
// appends one record: its inputs, its output, and a closure that turns the output's gradient into
// its inputs' gradients. Records are appended in the order ops run, which is already a topological
// order, so backward() is one reverse loop over the list: no graph search, no recursion.
//
//   x (leaf) ──exp──> y ──mul──> z          tape: [ #0 exp(x) -> y, #1 mul(y, x) -> z ]
//   z.backward():  grad z = 1;  #1 gives grad y, grad x;  #0 adds to grad x.
#include "autograd/tensor.hpp"

#include <array>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace tapegrad {

// A record's inputs: up to three held inline (every op but cat has at most three), so that
// appending a record does not allocate.
class InputList {
public:
  static constexpr std::size_t kInline = 3;
  void push_back(std::shared_ptr<TensorImpl> input) {
    if (size_ < kInline) {
      inline_[size_++] = std::move(input);
      return;
    }
    if (size_ == kInline) // spill: from now on all of them live in the vector
      spill_.assign(std::make_move_iterator(inline_.begin()),
                    std::make_move_iterator(inline_.end()));
    spill_.push_back(std::move(input));
    ++size_;
  }
  std::size_t size() const { return size_; }
  const std::shared_ptr<TensorImpl>* begin() const {
    return size_ <= kInline ? inline_.data() : spill_.data();
  }
  const std::shared_ptr<TensorImpl>* end() const { return begin() + size_; }
  const std::shared_ptr<TensorImpl>& operator[](std::size_t i) const { return begin()[i]; }

private:
  std::array<std::shared_ptr<TensorImpl>, kInline> inline_;
  std::vector<std::shared_ptr<TensorImpl>> spill_;
  std::size_t size_ = 0;
};

// A record's backward closure, as std::function<void(const Tensor&)> but stored inline up to
// kInline bytes (every op's closure fits), where std::function would put any closure of more than
// 16 bytes on the heap. Larger closures still work: they are boxed on the heap.
class BackwardFunction {
public:
  static constexpr std::size_t kInline = 256;

  BackwardFunction() = default;
  template <class F>
  requires(!std::same_as<std::decay_t<F>, BackwardFunction>)
      BackwardFunction(F&& f) { // NOLINT: converts from any closure, as std::function does
    using Closure = std::decay_t<F>;
    if constexpr (sizeof(Closure) <= kInline && alignof(Closure) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<Closure>) {
      new (storage_) Closure(std::forward<F>(f));
      ops_ = &ops_for<Closure>;
    } else {
      using Boxed = Box<Closure>;
      new (storage_) Boxed{std::make_unique<Closure>(std::forward<F>(f))};
      ops_ = &ops_for<Boxed>;
    }
  }
  BackwardFunction(BackwardFunction&& other) noexcept : ops_(other.ops_) {
    if (ops_)
      ops_->move(other.storage_, storage_);
    other.ops_ = nullptr;
  }
  BackwardFunction& operator=(BackwardFunction&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = other.ops_;
      if (ops_)
        ops_->move(other.storage_, storage_);
      other.ops_ = nullptr;
    }
    return *this;
  }
  ~BackwardFunction() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  void operator()(const Tensor& grad_output) { ops_->call(storage_, grad_output); }

private:
  struct Ops {
    void (*call)(void* closure, const Tensor& grad_output);
    void (*move)(void* from, void* to) noexcept; // move-constructs at `to`, destroys `from`
    void (*destroy)(void* closure) noexcept;
  };
  template <class Closure> struct Box {
    std::unique_ptr<Closure> closure;
    void operator()(const Tensor& grad_output) const { (*closure)(grad_output); }
  };
  template <class Closure>
  static constexpr Ops ops_for = {[](void* c, const Tensor& g) { (*static_cast<Closure*>(c))(g); },
                                  [](void* from, void* to) noexcept {
                                    new (to) Closure(std::move(*static_cast<Closure*>(from)));
                                    static_cast<Closure*>(from)->~Closure();
                                  },
                                  [](void* c) noexcept { static_cast<Closure*>(c)->~Closure(); }};

  void reset() {
    if (ops_)
      ops_->destroy(storage_);
    ops_ = nullptr;
  }

  alignas(std::max_align_t) std::byte storage_[kInline];
  const Ops* ops_ = nullptr;
};

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

} // namespace tapegrad

#pragma once
// The two containers inside a tape record, written for speed so that appending a record does not
// allocate: a short list of inputs and the backward closure, both stored inline. To read the tape,
// think of them as std::vector<std::shared_ptr<TensorImpl>> and std::function<void(const Tensor&)>.
#include "autograd/tensor.hpp"

#include <array>
#include <concepts>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace tapegrad {

// A record's inputs: up to four held inline (every op but cat has at most four), so that
// appending a record does not allocate.
class InputList {
public:
  static constexpr std::size_t kInline = 4;
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

} // namespace tapegrad

#include "autograd/tape.hpp"

#include "autograd/ops.hpp"

#include <atomic>
#include <cmath>

namespace tapegrad {

namespace {
thread_local bool grad_enabled = true;
std::atomic<bool> anomaly_enabled{false};
} // namespace

Tape& Tape::current() {
  thread_local Tape tape;
  return tape;
}

void Tape::clear() {
  for (TapeRecord& record : records_) {
    // The output is a temporary: free its gradient slot and forget its history, so that it acts
    // as a constant if it is used again.
    TensorImpl& out = *record.output;
    out.grad.reset();
    out.record = -1;
    out.requires_grad = false;
  }
  records_.clear();
  walked_ = false;
  ++generation_;
}

void clear_tape() {
  Tape::current().clear();
}

void Tape::append(TapeRecord record) {
  if (walked_)
    fail("{}: the tape was already walked by backward(); call tapegrad::clear_tape() before "
         "recording the next step (or compute this under a NoGradGuard)",
         record.op);
  TensorImpl& out = *record.output;
  out.requires_grad = true;
  out.record = static_cast<std::int64_t>(records_.size());
  out.tape_generation = generation_;
  records_.push_back(std::move(record));
}

void Tape::run_backward(const Tensor& root, const Tensor& seed) {
  TensorImpl& out = *root.impl();
  if (!out.requires_grad)
    fail("backward: the tensor of shape {} does not require grad (no input of its computation has "
         "requires_grad set, or it was computed under a NoGradGuard)",
         out.shape);
  if (walked_)
    fail("backward: the tape was already walked; a step can be walked once (call "
         "tapegrad::clear_tape() and record the forward pass again)");
  const bool is_leaf = out.record < 0;
  if (!is_leaf && out.tape_generation != generation_)
    fail("backward: the history of this tensor was cleared by clear_tape(); record it again");
  if (seed.defined()) {
    if (!(seed.shape() == out.shape) || seed.dtype() != out.dtype)
      fail("backward: the seed gradient has shape {} and dtype {}, expected shape {} and dtype {}",
           seed.shape(), seed.dtype(), out.shape, out.dtype);
  } else if (out.shape.numel() != 1) {
    fail("backward: the output has shape {}; backward() without a seed needs a one-element tensor "
         "(pass a gradient of the output's shape, or reduce it with sum() or mean())",
         out.shape);
  }

  NoGradGuard no_grad; // backward closures compute with tensors but record nothing
  accumulate_grad(root, seed.defined() ? seed.clone() : ones(out.shape, out.dtype));
  if (is_leaf)
    return;
  walked_ = true;
  const bool check = is_anomaly_enabled();
  for (std::int64_t i = out.record; i >= 0; --i) {
    TapeRecord& record = records_[static_cast<std::size_t>(i)];
    if (!record.output->grad)
      continue; // not on a path to the root
    record.backward(Tensor(record.output->grad));
    if (check)
      for (const auto& input : record.inputs)
        if (input->grad)
          detail::check_finite(Tensor(input->grad), record.op, "gradient");
  }
}

bool GradMode::is_enabled() {
  return grad_enabled;
}
void GradMode::set_enabled(bool enabled) {
  grad_enabled = enabled;
}

void set_detect_anomaly(bool enabled) {
  anomaly_enabled = enabled;
}
bool is_anomaly_enabled() {
  return anomaly_enabled.load(std::memory_order_relaxed);
}

namespace detail {

bool any_requires_grad(std::span<const Tensor> inputs) {
  for (const Tensor& input : inputs)
    if (input.requires_grad())
      return true;
  return false;
}

void check_finite(const Tensor& tensor, const char* op, const char* what) {
  if (!is_floating(tensor.dtype()))
    return;
  dispatch_floating(tensor.dtype(), op, [&]<class T>() {
    const T* data = tensor.data_ptr<T>();
    const std::int64_t n = tensor.numel();
    for (std::int64_t i = 0; i < n; ++i)
      if (!std::isfinite(data[i]))
        fail("anomaly: {} produced a non-finite {} ({} at flat index {} of shape {})", op, what,
             data[i], i, tensor.shape());
  });
}

void append_record(const char* op, const Tensor& output, std::span<const Tensor> inputs,
                   BackwardFunction backward) {
  TapeRecord record{op, {}, output.impl_ptr(), std::move(backward)};
  for (const Tensor& input : inputs)
    record.inputs.push_back(input.impl_ptr());
  Tape::current().append(std::move(record));
}

} // namespace detail

void accumulate_grad(const Tensor& input, Tensor grad) {
  TensorImpl& target = *input.impl();
  if (!target.requires_grad)
    return;
  if (!(grad.shape() == target.shape) || grad.dtype() != target.dtype)
    fail("backward: a gradient of shape {} ({}) was produced for an input of shape {} ({}); the "
         "op's backward must return one of the input's shape",
         grad.shape(), grad.dtype(), target.shape, target.dtype);
  if (!target.grad) {
    // Take the buffer if nobody else can see it; otherwise copy, so that a later += into this
    // slot cannot change another tensor's gradient.
    const bool sole_owner =
        grad.impl_ptr().use_count() == 1 && grad.impl()->storage.use_count() == 1;
    target.grad = sole_owner ? grad.impl_ptr() : grad.detach().clone().impl_ptr();
    target.grad->requires_grad = false;
    target.grad->record = -1;
    return;
  }
  dispatch_floating(target.dtype, "backward", [&]<class T>() {
    T* __restrict into = static_cast<T*>(target.grad->data());
    const T* __restrict from = grad.data_ptr<T>();
    const std::int64_t n = grad.numel();
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i)
      into[i] += from[i];
  });
}

} // namespace tapegrad

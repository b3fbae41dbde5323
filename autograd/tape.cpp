#include "autograd/tape.hpp"

#include "autograd/kernels/elementwise.hpp"

#include <atomic>

namespace tapegrad {

std::uint64_t Tape::new_generation() {
  static std::atomic<std::uint64_t> next{1}; // once per step and thread, never per record
  return next++;
}

void Tape::clear() {
  for (TapeRecord& record : records_) { // each output becomes a constant: no slot, no history
    record.output->grad.reset();
    record.output->record = TensorImpl::kCleared;
    record.output->requires_grad = false;
  }
  records_.clear();
  walked_ = retained_ = false;
  generation_ = new_generation();
}

void Tape::append(const char* op, const Tensor& output, std::span<const Tensor> inputs,
                  BackwardFunction backward) {
  if (walked_)
    fail("{}: the tape was already walked; call tapegrad::clear_tape() to record more", op);
  TapeRecord record{op, {}, output.impl_ptr(), std::move(backward)};
  for (const Tensor& input : inputs) {
    if (input.impl()->record >= 0 && input.impl()->tape_generation != generation_)
      fail("{}: an input was recorded on another thread's tape (detach() it to use it here)", op);
    record.inputs.push_back(input.impl_ptr());
  }
  output.impl()->requires_grad = true;
  output.impl()->record = static_cast<std::int64_t>(records_.size());
  output.impl()->tape_generation = generation_;
  records_.push_back(std::move(record));
}

void Tape::check_backward_root(const TensorImpl& root, const Tensor& seed) const {
  if (root.record == TensorImpl::kCleared)
    fail("backward: the history of this tensor was cleared by clear_tape(); record it again");
  if (!root.requires_grad)
    fail("backward: the tensor of shape {} does not require grad (nothing it came from does, or "
         "it was computed under a NoGradGuard)",
         root.shape);
  if (root.record >= 0 && root.tape_generation != generation_)
    fail("backward: the tensor was recorded on another thread's tape; call backward() on the "
         "thread that recorded it");
  if (walked_)
    fail("backward: the tape was already walked; pass retain_graph = true to walk it again, or "
         "call tapegrad::clear_tape() and record the forward pass again");
  if (seed.defined() && (!(seed.shape() == root.shape) || seed.dtype() != root.dtype))
    fail("backward: the seed gradient has shape {} and dtype {}, expected shape {} and dtype {}",
         seed.shape(), seed.dtype(), root.shape, root.dtype);
  if (!seed.defined() && root.shape.numel() != 1)
    fail("backward: the output has shape {}; backward() without a seed needs a one-element tensor "
         "(pass a seed of that shape, or reduce with sum() or mean())",
         root.shape);
}

void Tape::run_backward(const Tensor& root, const Tensor& seed, bool retain_graph) {
  TensorImpl& out = *root.impl();
  check_backward_root(out, seed);
  NoGradGuard no_grad; // backward closures compute with tensors but record nothing
  if (retained_)       // each walk starts from empty temporaries, as the first one did
    for (TapeRecord& record : records_)
      record.output->grad.reset();
  accumulate_grad(root, seed.defined() ? seed.clone() : ones(out.shape, out.dtype));
  if (out.record < 0)
    return; // a leaf: its gradient is the seed
  walked_ = !retain_graph;
  retained_ = retain_graph;
  for (std::int64_t i = out.record; i >= 0; --i) {
    TapeRecord& record = records_[static_cast<std::size_t>(i)];
    if (!record.output->grad)
      continue; // not on a path to the root
    record.backward(Tensor(record.output->grad));
    if (is_anomaly_enabled())
      for (const auto& input : record.inputs)
        if (input->grad)
          detail::check_gradient(Tensor(input->grad), record.op);
  }
}

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
    kernels::add_into(static_cast<T*>(target.grad->data()), grad.data_ptr<T>(), grad.numel());
  });
}

} // namespace tapegrad

#include "autograd/tape.hpp"

#include "autograd/kernels/elementwise.hpp"

namespace tapegrad {

void Tape::clear() {
  for (TapeRecord& record : records_) { // each output becomes a constant: no slot, no history
    record.output->grad.reset();
    record.output->record = -1;
    record.output->requires_grad = false;
  }
  records_.clear();
  walked_ = false;
  ++generation_;
}

void Tape::append(TapeRecord record) {
  if (walked_)
    fail("{}: the tape was already walked by backward(); call tapegrad::clear_tape() before "
         "recording the next step (or compute this under a NoGradGuard)",
         record.op);
  record.output->requires_grad = true;
  record.output->record = static_cast<std::int64_t>(records_.size());
  record.output->tape_generation = generation_;
  records_.push_back(std::move(record));
}

// The misuses backward() reports before it touches any gradient.
void Tape::check_backward_root(const TensorImpl& root, const Tensor& seed) const {
  if (!root.requires_grad)
    fail("backward: the tensor of shape {} does not require grad (no input of its computation has "
         "requires_grad set, or it was computed under a NoGradGuard)",
         root.shape);
  if (walked_)
    fail("backward: the tape was already walked; a step can be walked once (call "
         "tapegrad::clear_tape() and record the forward pass again)");
  if (root.record >= 0 && root.tape_generation != generation_)
    fail("backward: the history of this tensor was cleared by clear_tape(); record it again");
  if (seed.defined() && (!(seed.shape() == root.shape) || seed.dtype() != root.dtype))
    fail("backward: the seed gradient has shape {} and dtype {}, expected shape {} and dtype {}",
         seed.shape(), seed.dtype(), root.shape, root.dtype);
  if (!seed.defined() && root.shape.numel() != 1)
    fail("backward: the output has shape {}; backward() without a seed needs a one-element tensor "
         "(pass a gradient of the output's shape, or reduce it with sum() or mean())",
         root.shape);
}

void Tape::run_backward(const Tensor& root, const Tensor& seed) {
  TensorImpl& out = *root.impl();
  check_backward_root(out, seed);
  NoGradGuard no_grad; // backward closures compute with tensors but record nothing
  accumulate_grad(root, seed.defined() ? seed.clone() : ones(out.shape, out.dtype));
  if (out.record < 0)
    return; // a leaf: its gradient is the seed
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

namespace detail {

bool any_requires_grad(std::span<const Tensor> inputs) {
  for (const Tensor& input : inputs)
    if (input.requires_grad())
      return true;
  return false;
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
    kernels::add_into(static_cast<T*>(target.grad->data()), grad.data_ptr<T>(), grad.numel());
  });
}

} // namespace tapegrad

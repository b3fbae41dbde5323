#include "nn/optim.hpp"

#include <cmath>

namespace tapegrad::nn {

Optimizer::Optimizer(std::string name, std::vector<Tensor> parameters, double lr)
    : parameters_(std::move(parameters)), name_(std::move(name)), lr_(0) {
  set_lr(lr);
  if (parameters_.empty())
    fail("{}: got no parameters to optimise", name_);
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& p = parameters_[i];
    if (!p.defined() || !p.requires_grad() || !p.is_leaf())
      fail("{}: parameter {} ('{}') must be a leaf tensor requiring grad", name_, i,
           p.defined() ? p.name() : "undefined");
  }
}

void Optimizer::set_lr(double lr) {
  if (!(lr >= 0.0) || !std::isfinite(lr))
    fail("{}: expected a finite, non-negative learning rate, got {}", name_, lr);
  lr_ = lr;
}

void Optimizer::zero_grad() {
  for (Tensor& p : parameters_)
    p.zero_grad();
}

std::vector<Tensor>& Optimizer::add_buffers(std::string buffer_name) {
  std::vector<Tensor> buffers;
  for (const Tensor& p : parameters_)
    buffers.push_back(zeros_like(p));
  buffers_.emplace_back(std::move(buffer_name), std::move(buffers));
  return buffers_.back().second;
}

StateDict Optimizer::state_dict() const {
  StateDict state;
  state.insert("lr", scalar_tensor(lr_, kFloat64));
  state.insert("step", scalar_tensor(static_cast<double>(step_count_), kInt64));
  for (const auto& [buffer_name, buffers] : buffers_)
    for (std::size_t i = 0; i < buffers.size(); ++i)
      state.insert(fmt::format("{}.{}", buffer_name, i), buffers[i]);
  return state;
}

void Optimizer::load_state_dict(const StateDict& state, std::string_view source) {
  const StateDict expected = state_dict();
  copy_state(expected, state, source, fmt::format("the {} optimiser", name_));
  // The scalars were fresh tensors in `expected`: read them back from there.
  const double lr = expected.find("lr").item<double>();
  const auto step = expected.find("step").item<std::int64_t>();
  if (step < 0)
    fail("{}: tensor 'step' is {}, expected a non-negative step count", source, step);
  set_lr(lr);
  step_count_ = step;
}

} // namespace tapegrad::nn

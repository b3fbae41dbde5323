#include "nn/module.hpp"

#include <ostream>

namespace tapegrad::nn {

namespace {
std::string join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
}

void check_name(std::string_view name, std::string_view type, std::string_view what) {
  if (name.empty() || name.find('.') != std::string_view::npos)
    fail("{}: {} name '{}' must be non-empty and without dots (dots join the names of nested "
         "modules)",
         type, what, name);
}
} // namespace

Tensor Module::forward(const Tensor&) {
  fail("{}: this module has no forward(const Tensor&); call its own forward", type_name_);
}

Tensor& Module::register_parameter(std::string name, Tensor& slot) {
  check_name(name, type_name_, "parameter");
  if (!slot.defined() || !is_floating(slot.dtype()))
    fail("{}: parameter '{}' must be a defined floating tensor", type_name_, name);
  for (const auto& [existing, _] : parameters_)
    if (existing == name)
      fail("{}: parameter '{}' is registered twice", type_name_, name);
  // A parameter is a leaf of every step's graph; detach() makes one even from a computed tensor.
  if (!slot.is_leaf())
    slot = slot.detach();
  slot.requires_grad_();
  slot.set_name(name);
  parameters_.emplace_back(std::move(name), &slot);
  return slot;
}

Tensor& Module::register_buffer(std::string name, Tensor& slot) {
  check_name(name, type_name_, "buffer");
  if (!slot.defined())
    fail("{}: buffer '{}' must be a defined tensor", type_name_, name);
  buffers_.emplace_back(std::move(name), &slot);
  return slot;
}

void Module::add_child(std::string name, std::shared_ptr<Module> child) {
  check_name(name, type_name_, "child module");
  if (!child)
    fail("{}: child module '{}' is null", type_name_, name);
  for (const auto& [existing, _] : children_)
    if (existing == name)
      fail("{}: child module '{}' is registered twice", type_name_, name);
  child->train(training_);
  children_.emplace_back(std::move(name), std::move(child));
}

void Module::collect(std::string_view prefix, bool buffers, std::vector<NamedTensor>& out) const {
  for (const auto& [name, slot] : buffers ? buffers_ : parameters_)
    out.emplace_back(join(prefix, name), *slot);
  for (const auto& [name, child] : children_)
    child->collect(join(prefix, name), buffers, out);
}

void Module::collect_slots(std::vector<Tensor*>& out) const {
  for (const auto& [name, slot] : parameters_)
    out.push_back(slot);
  for (const auto& [name, child] : children_)
    child->collect_slots(out);
}

std::vector<Module::NamedTensor> Module::named_parameters() const {
  std::vector<NamedTensor> out;
  collect("", false, out);
  return out;
}

std::vector<Module::NamedTensor> Module::named_buffers() const {
  std::vector<NamedTensor> out;
  collect("", true, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_parameters())
    out.push_back(tensor);
  return out;
}

std::int64_t Module::parameter_count() const {
  std::int64_t count = 0;
  for (const Tensor& p : parameters())
    count += p.numel();
  return count;
}

void Module::zero_grad() {
  for (Tensor p : parameters())
    p.zero_grad();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_)
    child->train(on);
}

void Module::to(DType dtype) {
  if (!is_floating(dtype))
    fail("{}: to({}): parameters must stay floating", type_name_, dtype);
  NoGradGuard no_grad;
  for (auto& [name, slot] : parameters_) {
    if (slot->dtype() == dtype)
      continue;
    const std::string label = slot->name();
    *slot = slot->detach().to(dtype).requires_grad_().set_name(label);
  }
  for (auto& [name, slot] : buffers_)
    if (is_floating(slot->dtype()) && slot->dtype() != dtype)
      *slot = slot->to(dtype);
  for (auto& [name, child] : children_)
    child->to(dtype);
}

StateDict Module::state_dict() const {
  StateDict state;
  for (auto& [name, tensor] : named_parameters())
    state.insert(name, tensor.detach());
  for (auto& [name, tensor] : named_buffers())
    state.insert(name, tensor.detach());
  return state;
}

void Module::load_state_dict(const StateDict& state, std::string_view source) {
  copy_state(state_dict(), state, source, fmt::format("the model ({})", type_name_));
}

void Module::print(std::string& out, std::string_view label, int depth) const {
  const std::string indent(static_cast<std::size_t>(2 * depth), ' ');
  out += indent;
  if (!label.empty())
    out += fmt::format("({}): ", label);
  // PyTorch's layout: a leaf on one line, a container's children indented inside its parentheses.
  out += fmt::format("{}({}", type_name_, children_.empty() ? extra_repr() : "");
  if (!children_.empty()) {
    out += '\n';
    if (!extra_repr().empty())
      out += indent + "  " + extra_repr() + '\n';
    for (const auto& [name, child] : children_)
      child->print(out, name, depth + 1);
    out += indent;
  }
  out += ')';
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    out += fmt::format("{}{} {}", i == 0 ? "  " : ", ", parameters_[i].first,
                       parameters_[i].second->shape());
  out += '\n';
}

std::string Module::to_string() const {
  std::string out;
  print(out, "", 0);
  const std::vector<Tensor> params = parameters();
  out += fmt::format("{} parameters{}\n", parameter_count(),
                     params.empty() ? "" : fmt::format(" ({})", params.front().dtype()));
  return out;
}

std::ostream& operator<<(std::ostream& out, const Module& module) {
  return out << module.to_string();
}

ParameterSubstitution::ParameterSubstitution(Module& module,
                                             const std::vector<Tensor>& substitutes) {
  module.collect_slots(slots_);
  if (slots_.size() != substitutes.size())
    fail("{}: {} substitute tensors for {} parameters", module.type_name(), substitutes.size(),
         slots_.size());
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (!(substitutes[i].shape() == slots_[i]->shape()))
      fail("{}: substitute for parameter {} has shape {}, expected {}", module.type_name(), i,
           substitutes[i].shape(), slots_[i]->shape());
  // Checked first and swapped after, so that a throw leaves every member as it was.
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    originals_.push_back(*slots_[i]);
    *slots_[i] = substitutes[i];
  }
}

ParameterSubstitution::~ParameterSubstitution() {
  for (std::size_t i = 0; i < originals_.size(); ++i)
    *slots_[i] = originals_[i];
}

} // namespace tapegrad::nn

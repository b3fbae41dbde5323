#include "nn/state.hpp"

#include <autograd/grad_mode.hpp>

#include <cstring>

namespace tapegrad::nn {

void StateDict::insert(std::string name, Tensor tensor) {
  if (contains(name))
    fail("state: the name '{}' appears twice", name);
  if (!tensor.defined())
    fail("state: tensor '{}' is undefined", name);
  entries_.emplace_back(std::move(name), std::move(tensor));
}

void StateDict::insert_all(std::string_view prefix, const StateDict& other) {
  for (const auto& [name, tensor] : other)
    insert(fmt::format("{}.{}", prefix, name), tensor);
}

StateDict clone_state(const StateDict& state) {
  NoGradGuard no_grad;
  StateDict copy;
  for (const auto& [name, tensor] : state)
    copy.insert(name, tensor.detach().clone());
  return copy;
}

Tensor StateDict::find(std::string_view name) const {
  for (const auto& [entry_name, tensor] : entries_)
    if (entry_name == name)
      return tensor;
  return {};
}

void check_state(const StateDict& expected, const StateDict& given, std::string_view source,
                 std::string_view what) {
  for (const auto& [name, want] : expected) {
    const Tensor got = given.find(name);
    if (!got.defined())
      fail("{}: tensor '{}' is missing ({} expects it, with shape {})", source, name, what,
           want.shape());
    if (got.dtype() != want.dtype())
      fail("{}: tensor '{}' is {}, but {} expects {}", source, name, got.dtype(), what,
           want.dtype());
    if (!(got.shape() == want.shape()))
      fail("{}: tensor '{}' has shape {}, but {} expects shape {}", source, name, got.shape(), what,
           want.shape());
  }
  for (const auto& [name, got] : given)
    if (!expected.contains(name))
      fail("{}: tensor '{}' (shape {}) is not part of {}", source, name, got.shape(), what);
}

void copy_state(const StateDict& expected, const StateDict& given, std::string_view source,
                std::string_view what) {
  check_state(expected, given, source, what);
  for (const auto& [name, target] : expected) {
    const Tensor from = given.find(name);
    if (from.impl()->storage == target.impl()->storage)
      continue; // a state loaded into the object it came from
    std::memcpy(target.impl()->data(), from.impl()->data(),
                static_cast<std::size_t>(target.numel()) * dtype_size(target.dtype()));
  }
}

} // namespace tapegrad::nn

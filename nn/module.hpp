#pragma once
// Module: the base of every layer and model, as torch::nn::Module. A module owns named
// parameters (tensors the optimiser trains), named buffers (state that is saved but not trained,
// such as Dropout's draw counter) and named child modules; names compose into paths like
// `trunk.0.weight`.
//
// A layer keeps its parameters as ordinary Tensor members and registers them once:
//
//   class Scale : public Module {
//   public:
//     Tensor weight;
//     Scale() : Module("Scale") { register_parameter("weight", weight = ones({1})); }
//     Tensor forward(const Tensor& x) override { return x * weight; }
//   };
//
// The module remembers where each member lives, so converting the dtype (to) or substituting
// parameters (gradcheck_module) reaches the member itself. That is why modules can be neither
// copied nor moved: keep them where they are built, or in a std::shared_ptr.
#include "nn/state.hpp"

#include <autograd/ops.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapegrad::nn {

class Module : public Stateful {
public:
  using NamedTensor = std::pair<std::string, Tensor>;
  using NamedModule = std::pair<std::string, std::shared_ptr<Module>>;

  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  ~Module() override = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The computation. Layers with one input and one output override this; Sequential chains them.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  // This module's and its descendants' parameters, depth first in registration order.
  std::vector<Tensor> parameters() const;
  std::vector<NamedTensor> named_parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  const std::vector<NamedModule>& named_children() const { return children_; }
  std::int64_t parameter_count() const; // number of trainable scalars

  // Fills every parameter's gradient with zeros (keeping its buffer), as Optimizer::zero_grad.
  void zero_grad();

  // Training mode (the default) or evaluation mode, for this module and all its descendants;
  // only layers that behave differently (Dropout) look at it.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Converts every floating parameter and buffer to `dtype`, in place: the members of the layers
  // now hold the converted tensors. Gradients are dropped. Build the optimiser afterwards.
  void to(DType dtype);

  // Parameters then buffers, by their hierarchical names, sharing storage with the module.
  StateDict state_dict() const override;
  // Copies a state into the parameters and buffers; every name, dtype and shape must match.
  void load_state_dict(const StateDict& state, std::string_view source = "state") override;

  const std::string& type_name() const { return type_name_; }
  // What goes between the parentheses in the printout: `in_features=1, out_features=32`.
  virtual std::string extra_repr() const { return {}; }
  // The architecture, one line per module, with each parameter's shape, and the total count.
  std::string to_string() const;

protected:
  // Registers a member tensor as a parameter (it is made a leaf requiring grad) or a buffer, and
  // returns it. `slot` must be a member of this module: the module keeps its address.
  Tensor& register_parameter(std::string name, Tensor& slot);
  Tensor& register_buffer(std::string name, Tensor& slot);
  template <class M> std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> m) {
    add_child(std::move(name), m);
    return m;
  }

private:
  friend class ParameterSubstitution;
  void add_child(std::string name, std::shared_ptr<Module> child);
  void collect(std::string_view prefix, bool buffers, std::vector<NamedTensor>& out) const;
  void collect_slots(std::vector<Tensor*>& out) const;
  void print(std::string& out, std::string_view label, int depth) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor*>> parameters_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<NamedModule> children_;
};

std::ostream& operator<<(std::ostream& out, const Module& module);

// Swaps a module's parameters for other tensors for as long as it lives: the members point at
// the substitutes, and get their own tensors back on destruction. gradcheck_module uses it to
// differentiate with respect to parameters.
class ParameterSubstitution {
public:
  ParameterSubstitution(Module& module, const std::vector<Tensor>& substitutes);
  ~ParameterSubstitution();
  ParameterSubstitution(const ParameterSubstitution&) = delete;
  ParameterSubstitution& operator=(const ParameterSubstitution&) = delete;

private:
  std::vector<Tensor*> slots_;
  std::vector<Tensor> originals_;
};

} // namespace tapegrad::nn
